//! Requests the API server allowed without authentication.

use super::{Detection, Facts, Hit, Probe, State, probe};
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

/// Anonymous access allowed, health endpoints excepted.
pub const AUD003: Detection = Detection {
    rule: "AUD003",
    check: anonymous_allowed,
    probes: &[Probe {
        anonymous: true,
        ..probe("get", "", "namespaces", "", "", Level::Metadata)
    }],
    bodies: &[],
};

fn anonymous_allowed(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let e = f.event;
    if !(f.user == "system:anonymous"
        || e.user.groups.iter().any(|g| g == "system:unauthenticated"))
        || !f.final_stage
    {
        return;
    }
    let allowed = e
        .annotations
        .get("authorization.k8s.io/decision")
        .map_or(f.ok || f.code.is_none_or(|c| c < 400), |d| d == "allow");
    let health = ["/healthz", "/livez", "/readyz", "/version"]
        .iter()
        .any(|p| {
            e.request_uri
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '/']))
        });
    if allowed && !health {
        hits.push(Hit::new(
            format!("anonymous {} {} was allowed", e.verb, e.request_uri),
            Evidence::labelled("user", f.user.to_string()),
        ));
    }
}
