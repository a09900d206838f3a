//! Commands run in pods through the API server.

use super::{Detection, Facts, Hit, State, long_running, probe, query_values};
use crate::auditlog::policy::Level;
use crate::findings::Evidence;
use crate::severity::Severity;

/// Exec and attach: long-running, seen at ResponseStarted (code 101) or completed.
pub const AUD001: Detection = Detection {
    rule: "AUD001",
    check: exec_or_attach,
    probes: &[
        long_running(probe("create", "", "pods", "exec", "shop", Level::Metadata)),
        long_running(probe("get", "", "pods", "exec", "shop", Level::Metadata)),
        long_running(probe(
            "create",
            "",
            "pods",
            "attach",
            "shop",
            Level::Metadata,
        )),
    ],
    bodies: &[],
};

fn exec_or_attach(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    if !(obj.resource == "pods"
        && matches!(obj.subresource.as_str(), "exec" | "attach")
        && matches!(e.verb.as_str(), "create" | "get")
        && e.stage != "RequestReceived"
        && f.code.is_none_or(|c| c < 400))
    {
        return;
    }
    let command = query_values(&e.request_uri, "command").join(" ");
    let container = query_values(&e.request_uri, "container").join(",");
    let what = if obj.subresource == "exec" {
        format!(
            "ran {:?}",
            if command.is_empty() {
                "(no command)".to_string()
            } else {
                command.clone()
            }
        )
    } else {
        "attached".to_string()
    };
    // Reading credentials or reaching out of the cluster from inside a pod is the
    // post-exploitation pattern; raise it.
    let severity = [
        "/var/run/secrets",
        "serviceaccount/token",
        "169.254.169.254",
        "curl ",
        "wget ",
    ]
    .iter()
    .any(|s| command.contains(s))
    .then_some(Severity::Critical);
    hits.push(
        Hit::new(
            format!(
                "{} {what} in pod {}/{} (container {container})",
                f.user, obj.namespace, obj.name
            ),
            Evidence::labelled("requestURI", e.request_uri.clone()),
        )
        .raised(severity),
    );
}
