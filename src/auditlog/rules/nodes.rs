//! Nodes joining the cluster: Falco's "Untrusted Node Successfully Joined the Cluster" and
//! "Untrusted Node Unsuccessfully Tried to Join the Cluster".

use super::{Detection, Facts, Hit, State, probe};
use crate::auditlog::detect::listed;
use crate::auditlog::policy::Level;
use crate::findings::Evidence;

pub const AUD028: Detection = Detection {
    rule: "AUD028",
    check: untrusted_node_joined,
    probes: &[probe("create", "", "nodes", "", "", Level::Metadata)],
    bodies: &[],
};

pub const AUD029: Detection = Detection {
    rule: "AUD029",
    check: untrusted_node_tried,
    probes: &[probe("create", "", "nodes", "", "", Level::Metadata)],
    bodies: &[],
};

fn untrusted_node_joined(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    if f.ok {
        untrusted_node(f, hits, "joined the cluster");
    }
}

fn untrusted_node_tried(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    if f.code.is_some() && !f.ok {
        let code = f.code.unwrap_or(0);
        untrusted_node(
            f,
            hits,
            &format!("tried to join the cluster and got {code}"),
        );
    }
}

/// A node created that the allow-list (`--audit-allow-node`) does not name; without a
/// list, one created by anyone but a node's own identity (`system:node:NAME`): kubelets
/// register their node themselves, so a Node object made by a person or a workload is a
/// machine that did not come through the cluster's provisioning.
fn untrusted_node(f: &Facts<'_>, hits: &mut Vec<Hit>, what: &str) {
    let obj = f.obj;
    if obj.resource != "nodes"
        || !obj.subresource.is_empty()
        || f.event.verb != "create"
        || !f.final_stage
    {
        return;
    }
    let name = if obj.name.is_empty() {
        "(unnamed)"
    } else {
        obj.name.as_str()
    };
    let allowed = &f.config.allowed_nodes;
    let why = if allowed.is_empty() {
        if f.user.starts_with("system:node:") {
            return;
        }
        let by = if f.ok { "created" } else { "asked for" };
        format!("{by} by an identity that is not a node's own")
    } else if listed(allowed, name) {
        return;
    } else {
        "not in --audit-allow-node".to_string()
    };
    hits.push(Hit::new(
        format!("node {name} {what}: {why} ({})", f.user),
        Evidence::labelled("objectRef.name", name.to_string()),
    ));
}
