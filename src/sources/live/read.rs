//! Reading a cluster: server version, discovery, an access probe, then every list in
//! pages with bounded concurrency. What cannot be read becomes an [`AccessGap`], which the
//! checks report as "not evaluated", never as a pass.

use super::client::{Listed, ReadOnlyClient};
use super::error::ApiError;
use super::kubeconfig::{Connection, LiveOptions};
use super::resources::{NAMESPACES, RESOURCES, Resource};
use crate::inventory::input::{AccessGap, Loaded, Origin, RawObject, WatchPoint};
use crate::inventory::{Inventory, SourceInfo, build};
use crate::sources::Error;
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a read produced: the pages, each converted as it arrived (typed into a partial
/// inventory, or serialized for a snapshot), in a stable order, and what could not be read.
pub struct ClusterRead<T> {
    pub parts: Vec<T>,
    pub context: String,
    pub server: String,
    /// Who read it, from which kubeconfig.
    pub identity: String,
    /// `v1.31.2`, when `/version` answered.
    pub server_version: Option<String>,
    pub gaps: Vec<AccessGap>,
    /// Kinds that were listed completely in the audited scope.
    pub kinds_listed: BTreeSet<String>,
    /// Said in the header: a narrowed scope, a fallback.
    pub notes: Vec<String>,
    /// The namespaces audited (`None`: all).
    pub scope: Option<Vec<String>>,
    pub stats: ReadStats,
    /// Where each list can be watched from.
    pub watch_points: Vec<WatchPoint>,
}

#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReadStats {
    pub lists: u32,
    pub pages: u32,
    pub retried: u32,
    pub restarted_lists: u32,
    pub objects: usize,
}

impl ClusterRead<Inventory> {
    pub fn into_inventory(self) -> Inventory {
        let complete = self.gaps.is_empty() && self.scope.is_none();
        let mut description = format!(
            "context {} ({}), {}",
            self.context, self.server, self.identity
        );
        if let Some(scope) = &self.scope {
            description.push_str(&format!(", namespaces {}", scope.join(", ")));
        }
        let mut inventory = Inventory::empty(SourceInfo {
            kind: "live".into(),
            description,
            context: self.context.clone(),
            complete,
            live: true,
            server_version: self.server_version,
            notes: self.notes,
            scope: self.scope,
        });
        for part in self.parts {
            inventory.absorb(part);
        }
        inventory.kinds_seen.extend(self.kinds_listed);
        inventory.access_gaps = self.gaps;
        inventory.watch_points = self.watch_points;
        inventory
    }
}

/// Types one page of objects into a partial inventory (merged by
/// [`ClusterRead::into_inventory`]).
pub fn type_page(context: &str, resource: &Resource, items: Vec<Value>) -> Inventory {
    // Each object is named by where it lives (`cluster:prod/pods/shop/web`): a problem with
    // one item is reported at that item, not at the list.
    let objects = items
        .into_iter()
        .map(|value| {
            let meta = |key: &str| {
                value
                    .pointer(&format!("/metadata/{key}"))
                    .and_then(Value::as_str)
                    .map(crate::sanitize::strip_controls)
                    .unwrap_or_default()
                    .into_owned()
            };
            let (namespace, name) = (meta("namespace"), meta("name"));
            let place = if namespace.is_empty() {
                name
            } else {
                format!("{namespace}/{name}")
            };
            let file = format!("cluster:{context}/{}/{place}", resource.display());
            RawObject {
                value,
                origin: Origin {
                    file: Arc::from(file),
                    line: 0,
                    pointer: String::new(),
                },
            }
        })
        .collect();
    build::from_loaded(
        SourceInfo::new("live", "", false, true),
        Loaded {
            objects,
            errors: Vec::new(),
            files_read: 0,
        },
    )
}

/// Serializes one page for a snapshot: the objects as JSON, one per line, comma-separated.
pub fn serialize_page(items: Vec<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        // A Value always serializes.
        let _ = serde_json::to_writer(&mut out, item);
    }
    out
}

/// One list to make: a resource, cluster-wide or in one namespace.
#[derive(Clone)]
struct Job {
    resource: Resource,
    namespace: Option<String>,
}

/// Reads the cluster, converting every page with `convert` as it arrives.
pub async fn read<T: Send>(
    connection: &Connection,
    options: &LiveOptions,
    convert: &(dyn Fn(&Resource, Vec<Value>) -> T + Sync),
) -> Result<ClusterRead<T>, Error> {
    let client = &connection.client;
    let fatal = |what: &str, error: ApiError| Error::Api {
        context: connection.context.clone(),
        server: connection.server.clone(),
        what: what.to_string(),
        error: Box::new(error),
    };
    // The version answers for anyone who may talk to the server at all, so its failure
    // (other than a 403 in a locked-down cluster) means nothing else will work either.
    let server_version = match client.get::<Value>("/version").await {
        // A version is `v1.31.2-gke.1200`: anything longer is cut (a hostile server's
        // 100 MB string would otherwise go into every report).
        Ok(v) => v.get("gitVersion").and_then(Value::as_str).map(|s| {
            let cut: String = crate::sanitize::strip_controls(s)
                .chars()
                .take(64)
                .collect();
            if cut.len() < s.len() && s.chars().count() > 64 {
                format!("{cut}...")
            } else {
                cut
            }
        }),
        Err(e) if e.is_forbidden() => None,
        Err(e) => return Err(fatal("reading /version", e)),
    };
    let mut notes = Vec::new();
    let groups = match client.get::<Value>("/apis").await {
        Ok(list) => served_group_versions(&list),
        Err(e) if e.is_forbidden() => {
            notes.push(format!(
                "API discovery is forbidden ({e}); optional policy and report resources were not looked for"
            ));
            BTreeSet::new()
        }
        Err(e) => return Err(fatal("API discovery", e)),
    };

    let mut gaps = Vec::new();
    let mut parts: Vec<T> = Vec::new();
    let mut kinds_listed = BTreeSet::new();
    let mut stats = ReadStats::default();
    let mut namespace_names: Vec<String> = Vec::new();
    let mut watch_points = Vec::new();

    // The namespaces in scope: the ones asked for, all of them, or (when they cannot be
    // listed) the context's own.
    let scope: Option<Vec<String>> = if options.namespaces.is_empty() {
        let listed = client
            .list_with(&NAMESPACES.path(None), |mut items| {
                normalize(&NAMESPACES, &mut items);
                namespace_names.extend(
                    items
                        .iter()
                        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
                        .map(str::to_string),
                );
                convert(&NAMESPACES, items)
            })
            .await;
        match listed {
            Ok(listed) => {
                kinds_listed.insert(NAMESPACES.kind.to_string());
                watch_points.push(WatchPoint {
                    path: NAMESPACES.path(None),
                    resource_version: listed.resource_version.clone(),
                });
                take(&mut parts, &mut stats, listed);
                None
            }
            Err(e) if e.is_forbidden() => {
                let ns = connection.default_namespace.clone();
                notes.push(format!(
                    "namespaces cannot be listed ({e}); auditing only namespace {ns} (the context's); add -n NAME for others"
                ));
                gaps.push(gap(&NAMESPACES, None, "list", &e));
                Some(vec![ns])
            }
            Err(e) => return Err(fatal("listing namespaces", e)),
        }
    } else {
        Some(options.namespaces.clone())
    };
    // A list restarted after a 410 hands its names over twice.
    namespace_names.sort();
    namespace_names.dedup();
    if let Some(namespaces) = &scope {
        namespace_names = namespaces.clone();
        for ns in namespaces {
            let path = format!("/api/v1/namespaces/{ns}");
            match client.get::<Value>(&path).await {
                Ok(object) => {
                    let mut items = vec![object];
                    normalize(&NAMESPACES, &mut items);
                    stats.objects += 1;
                    parts.push(convert(&NAMESPACES, items));
                }
                Err(e) if matches!(e.code(), Some(403 | 404)) => {
                    if e.code() == Some(404) {
                        notes.push(format!("namespace {ns} does not exist"));
                    }
                    gaps.push(gap(&NAMESPACES, Some(ns), "get", &e));
                }
                Err(e) => return Err(fatal(&format!("reading namespace {ns}"), e)),
            }
        }
    }

    // Every other resource: probe cluster-wide access first, then list cluster-wide or,
    // where only some namespaces are readable, namespace by namespace.
    let wanted: Vec<Resource> = RESOURCES
        .iter()
        .copied()
        .filter(|r| *r != NAMESPACES)
        .filter(|r| !r.optional || groups.contains(&r.api_version()))
        .collect();
    let all_namespaces = scope.is_none();
    let probes = futures_util::stream::iter(wanted.iter().map(|r| async move {
        let access = if all_namespaces || !r.namespaced {
            client.may("list", r.group, r.plural, None).await.ok()
        } else {
            None
        };
        (*r, access)
    }))
    .buffer_unordered(options.concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    let mut jobs = Vec::new();
    for resource in &wanted {
        let access = probes
            .iter()
            .find(|(r, _)| r == resource)
            .and_then(|(_, a)| a.clone());
        let cluster_wide_allowed = access.as_ref().is_none_or(|a| a.allowed);
        match (&scope, resource.namespaced) {
            (None, _) | (Some(_), false) if cluster_wide_allowed => jobs.push(Job {
                resource: *resource,
                namespace: None,
            }),
            (_, false) => gaps.push(AccessGap {
                resource: resource.display(),
                namespace: None,
                verb: "list".into(),
                reason: denial(access.as_ref().map(|a| a.reason.as_str())),
            }),
            (_, true) => jobs.extend(namespace_names.iter().map(|ns| Job {
                resource: *resource,
                namespace: Some(ns.clone()),
            })),
        }
    }

    let results = futures_util::stream::iter(jobs.into_iter().map(|job| async move {
        let result = read_list(client, &job, convert).await;
        (job, result)
    }))
    .buffer_unordered(options.concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    // In the catalog's order, whatever order the answers came in.
    let mut ordered = results;
    ordered.sort_by_key(|(job, _)| {
        (
            RESOURCES.iter().position(|r| *r == job.resource),
            job.namespace.clone(),
        )
    });
    // Resources denied cluster-wide at list time are tried namespace by namespace.
    let mut retry_per_namespace = Vec::new();
    for (job, result) in ordered {
        match result {
            Ok(listed) => {
                if job.namespace.is_none() {
                    kinds_listed.insert(job.resource.kind.to_string());
                }
                watch_points.push(WatchPoint {
                    path: job.resource.path(job.namespace.as_deref()),
                    resource_version: listed.resource_version.clone(),
                });
                take(&mut parts, &mut stats, listed);
            }
            Err(e) if e.is_forbidden() && job.namespace.is_none() && job.resource.namespaced => {
                retry_per_namespace.push(job.resource);
            }
            // Forbidden, not there, or not a list: what was not read is a gap, never a pass.
            Err(e) if matches!(e.code(), Some(403 | 404)) || matches!(e, ApiError::Decode(_)) => {
                gaps.push(gap(&job.resource, job.namespace.as_deref(), "list", &e))
            }
            Err(e) => return Err(fatal(&format!("listing {}", job.resource.display()), e)),
        }
    }
    for resource in retry_per_namespace {
        for ns in &namespace_names {
            let job = Job {
                resource,
                namespace: Some(ns.clone()),
            };
            match read_list(client, &job, convert).await {
                Ok(listed) => {
                    watch_points.push(WatchPoint {
                        path: resource.path(Some(ns)),
                        resource_version: listed.resource_version.clone(),
                    });
                    take(&mut parts, &mut stats, listed)
                }
                Err(e)
                    if matches!(e.code(), Some(403 | 404)) || matches!(e, ApiError::Decode(_)) =>
                {
                    gaps.push(gap(&resource, Some(ns), "list", &e))
                }
                Err(e) => return Err(fatal(&format!("listing {}", resource.display()), e)),
            }
        }
    }
    Ok(ClusterRead {
        parts,
        context: connection.context.clone(),
        server: connection.server.clone(),
        identity: connection.identity.clone(),
        server_version,
        gaps,
        kinds_listed,
        notes,
        scope,
        stats,
        watch_points,
    })
}

async fn read_list<T>(
    client: &ReadOnlyClient,
    job: &Job,
    convert: &(dyn Fn(&Resource, Vec<Value>) -> T + Sync),
) -> Result<Listed<T>, ApiError> {
    client
        .list_with(&job.resource.path(job.namespace.as_deref()), |mut items| {
            normalize(&job.resource, &mut items);
            convert(&job.resource, items)
        })
        .await
}

fn take<T>(parts: &mut Vec<T>, stats: &mut ReadStats, listed: Listed<T>) {
    stats.lists += 1;
    stats.pages += listed.pages;
    stats.retried += listed.retried;
    stats.restarted_lists += u32::from(listed.restarted);
    stats.objects += listed.count;
    parts.extend(listed.parts);
}

fn gap(resource: &Resource, namespace: Option<&str>, verb: &str, error: &ApiError) -> AccessGap {
    AccessGap {
        resource: resource.display(),
        namespace: namespace.map(str::to_string),
        verb: if error.is_forbidden() {
            verb.to_string()
        } else {
            String::new()
        },
        reason: error.to_string(),
    }
}

fn denial(reason: Option<&str>) -> String {
    let reason = reason.map(crate::sanitize::strip_controls);
    match reason.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => format!("access review: not allowed ({r})"),
        None => "access review: not allowed".into(),
    }
}

/// `group/version` pairs the server serves, from an `APIGroupList`.
fn served_group_versions(list: &Value) -> BTreeSet<String> {
    let mut served = BTreeSet::new();
    for group in list
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for version in group
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(gv) = version.get("groupVersion").and_then(Value::as_str) {
                served.insert(gv.to_string());
            }
        }
    }
    served
}

/// List items carry no `apiVersion`/`kind`, so they get the resource's; `managedFields`
/// are dropped (large, and nothing kaudit audits).
fn normalize(resource: &Resource, items: &mut [Value]) {
    let api_version = Value::String(resource.api_version());
    let kind = Value::String(resource.kind.to_string());
    for item in items {
        if let Some(object) = item.as_object_mut() {
            object.insert("apiVersion".into(), api_version.clone());
            object.insert("kind".into(), kind.clone());
            if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
        }
    }
}
