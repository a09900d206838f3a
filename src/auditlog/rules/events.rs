//! Covering tracks: deleting the cluster's events.

use super::{Detection, Facts, Hit, State, namespace_phrase, probe};
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

pub const AUD014: Detection = Detection {
    rule: "AUD014",
    check: events_deleted,
    probes: &[
        probe("delete", "", "events", "", "shop", Level::Metadata),
        probe(
            "deletecollection",
            "events.k8s.io",
            "events",
            "",
            "shop",
            Level::Metadata,
        ),
    ],
    bodies: &[],
};

fn events_deleted(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let e = f.event;
    if f.obj.resource == "events"
        && matches!(e.verb.as_str(), "delete" | "deletecollection")
        && f.final_stage
        && f.user != "system:serviceaccount:kube-system:namespace-controller"
    {
        hits.push(Hit::new(
            format!(
                "{} deleted events in {}",
                f.user,
                namespace_phrase(&f.obj.namespace)
            ),
            Evidence::labelled("requestURI", e.request_uri.clone()),
        ));
    }
}
