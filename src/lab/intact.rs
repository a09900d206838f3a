//! "The workload still does its job": every workload of the untouched scenario is still there
//! under its name, with the same containers running the same images, exposing the same ports,
//! at the same scale. Deleting what a task is about never passes it.

use super::catalog::{SameImage, Task};
use super::grade::Outcome;
use crate::image_ref::ImageRef;
use crate::inventory::{Inventory, Workload};
use k8s_openapi::api::core::v1::Container;

pub fn judge(task: &Task, scenario: &Inventory, graded: &Inventory) -> Outcome {
    let mut problems = Vec::new();
    let mut checked = 0;
    for before in &scenario.workloads {
        checked += 1;
        let after = graded
            .workloads
            .iter()
            .filter(|w| w.namespace == before.namespace && w.name == before.name)
            .min_by_key(|w| w.kind != before.kind);
        let Some(after) = after else {
            problems.push(format!(
                "{} {}/{} is gone: a workload is secured, not deleted",
                before.kind.as_str(),
                before.namespace,
                before.name
            ));
            continue;
        };
        compare(task, before, after, &mut problems);
    }
    match problems.first() {
        None => Outcome {
            passed: true,
            reason: format!(
                "{checked} {} their containers, images, ports and replicas",
                if checked == 1 {
                    "workload keeps"
                } else {
                    "workloads keep"
                }
            ),
            evidence: None,
            hint: None,
        },
        Some(first) => Outcome {
            passed: false,
            reason: if problems.len() > 1 {
                format!("{first} (and {} more)", problems.len() - 1)
            } else {
                first.clone()
            },
            evidence: None,
            hint: Some(
                "fix the workload in place: keep its name, containers, images (a pinned or fixed version of the same one), ports and replicas".into(),
            ),
        },
    }
}

fn compare(task: &Task, before: &Workload, after: &Workload, problems: &mut Vec<String>) {
    let name = format!(
        "{} {}/{}",
        before.kind.as_str(),
        before.namespace,
        before.name
    );
    if before.replicas.unwrap_or(1) != after.replicas.unwrap_or(1) {
        problems.push(format!(
            "{name} runs {} replicas instead of {}",
            after.replicas.unwrap_or(1),
            before.replicas.unwrap_or(1)
        ));
    }
    let after_containers = containers(after);
    // A pod whose container mounts a volume it does not define is rejected by the API
    // server: it would not run at all.
    let volumes: Vec<&str> = after
        .spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    for c in &after_containers {
        for mount in c.volume_mounts.iter().flatten() {
            if !volumes.contains(&mount.name.as_str()) {
                problems.push(format!(
                    "{name} container {} mounts volume {}, which the pod does not define: the API server would reject it",
                    c.name, mount.name
                ));
            }
        }
    }
    for old in containers(before) {
        let Some(new) = after_containers.iter().find(|c| c.name == old.name) else {
            problems.push(format!("{name} lost its container {}", old.name));
            continue;
        };
        let (was, is) = (
            old.image.as_deref().unwrap_or(""),
            new.image.as_deref().unwrap_or(""),
        );
        if !same_image(task.options.same_image, was, is) {
            problems.push(format!(
                "{name} container {} runs {is} instead of {was}",
                old.name
            ));
        }
        for port in old.ports.iter().flatten() {
            if task.options.removable_ports.contains(&port.container_port) {
                continue;
            }
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let kept = new.ports.iter().flatten().any(|p| {
                p.container_port == port.container_port
                    && p.protocol.as_deref().unwrap_or("TCP") == protocol
            });
            if !kept {
                problems.push(format!(
                    "{name} container {} no longer exposes {}/{protocol}",
                    old.name, port.container_port
                ));
            }
        }
    }
}

fn containers(w: &Workload) -> Vec<&Container> {
    w.spec
        .init_containers
        .iter()
        .flatten()
        .chain(w.spec.containers.iter())
        .collect()
}

/// The same image, a version of it (another tag, a digest), or, with [`SameImage::Name`],
/// the same image from another registry or mirror.
fn same_image(rule: SameImage, was: &str, is: &str) -> bool {
    match (ImageRef::parse(was), ImageRef::parse(is)) {
        (Some(a), Some(b)) => match rule {
            SameImage::Repository => a.registry == b.registry && a.repository == b.repository,
            SameImage::Name => last(&a.repository) == last(&b.repository),
        },
        _ => was == is,
    }
}

fn last(repository: &str) -> &str {
    repository.rsplit('/').next().unwrap_or(repository)
}
