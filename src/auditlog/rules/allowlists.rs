//! What only the user's own allow-lists can judge: people outside `--audit-allow-user`
//! (Falco's "Disallowed K8s User") and namespaces outside `--audit-allow-namespace-create`
//! ("Create Disallowed Namespace"). Without a list, the rule is not evaluated.

use super::{Detection, Facts, Hit, State, probe};
use crate::auditlog::detect::listed;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

pub const AUD031: Detection = Detection {
    rule: "AUD031",
    check: disallowed_user,
    probes: &[probe("get", "", "pods", "", "shop", Level::Metadata)],
    bodies: &[],
};

/// Any request by a person (a user that is not `system:`) the list does not name, once per
/// person. Listed users never reach the detections at all.
fn disallowed_user(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    if f.config.allowed_users.is_empty()
        || !f.final_stage
        || f.user.is_empty()
        || f.user.starts_with("system:")
    {
        return;
    }
    hits.push(
        Hit::new(
            format!(
                "{} is not in --audit-allow-user and made requests, first {} {}",
                f.user, f.event.verb, f.event.request_uri
            ),
            Evidence::labelled("user.username", f.user.to_string()),
        )
        .once_per(f.user.to_string()),
    );
}

pub const AUD033: Detection = Detection {
    rule: "AUD033",
    check: disallowed_namespace,
    probes: &[probe("create", "", "namespaces", "", "", Level::Metadata)],
    bodies: &[],
};

fn disallowed_namespace(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    let allowed = &f.config.allowed_namespace_creates;
    if allowed.is_empty()
        || obj.resource != "namespaces"
        || !obj.subresource.is_empty()
        || f.event.verb != "create"
        || !f.final_stage
        || !f.accepted
        || listed(allowed, &obj.name)
    {
        return;
    }
    hits.push(Hit::new(
        format!(
            "{} created namespace {}, which --audit-allow-namespace-create does not name",
            f.user, obj.name
        ),
        Evidence::labelled("objectRef.name", obj.name.to_string()),
    ));
}
