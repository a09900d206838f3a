//! The criteria beyond "this rule no longer fires": a namespace's enforced Pod Security level,
//! the audit policy's level for a request, the answer file against an audit finding, a
//! field's value, and the signature policy over a namespace's images.

use super::criteria::{Answer, AuditLevel, Enforces, Field, SignaturePolicy};
use super::grade::{Graded, Outcome};
use super::path::Path;
use crate::auditlog::policy::{Level, Request, ResourceAttrs};
use crate::findings::Finding;
use crate::signatures::admission::{self, Action, Admission};
use crate::signatures::keys::TrustedKey;

const LABEL: &str = "pod-security.kubernetes.io/";

/// Kinds whose field paths start at their pod spec.
const WORKLOAD_KINDS: [&str; 7] = [
    "Pod",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

fn pass(reason: String) -> Outcome {
    Outcome {
        passed: true,
        reason,
        evidence: None,
        hint: None,
    }
}

fn fail(reason: String, hint: &str) -> Outcome {
    Outcome {
        passed: false,
        reason,
        evidence: None,
        hint: Some(hint.to_string()),
    }
}

/// The namespace's labels enforce the level (at the version), and no workload in it breaks
/// what it enforces (PSA002, as the admission controller would decide).
pub fn enforces(e: &Enforces, graded: &Graded<'_>) -> Outcome {
    let hint = "label the namespace pod-security.kubernetes.io/enforce (and enforce-version), then fix each workload until PSA002 is gone";
    let Some(ns) = graded.inventory.namespaces.get(&e.namespace) else {
        return fail(format!("namespace {} is not there", e.namespace), hint);
    };
    let label = |suffix: &str| {
        ns.labels
            .get(&format!("{LABEL}{suffix}"))
            .map(String::as_str)
    };
    if label("enforce") != Some(e.level.as_str()) {
        return fail(
            format!(
                "namespace {} enforces {}, not {}",
                e.namespace,
                label("enforce").unwrap_or("nothing"),
                e.level
            ),
            hint,
        );
    }
    if let Some(version) = &e.version {
        let set = label("enforce-version").unwrap_or("latest");
        if set != version {
            return fail(
                format!(
                    "namespace {} enforces {} at {set}, not at {version}",
                    e.namespace, e.level
                ),
                hint,
            );
        }
    }
    let broken: Vec<&Finding> = graded
        .report
        .findings
        .iter()
        .filter(|f| {
            matches!(f.rule_id, "PSA002" | "PSA003") && *f.subject.namespace == *e.namespace
                || f.rule_id == "PSA003" && *f.subject.name == *e.namespace
        })
        .collect();
    if let Some(first) = broken.first() {
        return Outcome {
            passed: false,
            reason: format!(
                "{} finding{} in the namespace, first {}: {}",
                broken.len(),
                if broken.len() == 1 { "" } else { "s" },
                first.rule_id,
                first.message()
            ),
            evidence: graded.pointer(first),
            hint: Some(hint.to_string()),
        };
    }
    pass(format!(
        "namespace {} enforces {}{} and every workload in it passes",
        e.namespace,
        e.level,
        e.version
            .as_deref()
            .map_or(String::new(), |v| format!(" at {v}"))
    ))
}

/// The policy kube-apiserver would read logs the request at exactly the level asked.
pub fn audit_level(a: &AuditLevel, graded: &Graded<'_>) -> Outcome {
    let hint = "rules are read in order and the first match wins: put the rule for this request before any broader one";
    let policy = match super::grade::audit_policy(graded.folder, &a.file) {
        Ok(policy) => policy,
        Err(e) => return fail(e, hint),
    };
    if let Some((pointer, message)) = policy.invalid.first() {
        return fail(
            format!(
                "kube-apiserver would refuse {}: {} ({})",
                a.file,
                message,
                crate::findings::dotted_path(pointer)
            ),
            "fix the policy so kube-apiserver starts with it",
        );
    }
    let groups: Vec<&str> = a.groups.iter().map(String::as_str).collect();
    let request = Request {
        user: &a.user,
        groups: &groups,
        verb: &a.verb,
        resource: Some(ResourceAttrs {
            group: &a.group,
            resource: &a.resource,
            subresource: &a.subresource,
            namespace: &a.namespace,
            name: "",
        }),
        path: "",
    };
    let decision = policy.decide(&request);
    let wanted = Level::parse(&a.level).unwrap_or(Level::None);
    let by = decision.rule.map_or("no rule matches".to_string(), |i| {
        format!("rule {} matches first", i + 1)
    });
    let what = format!("{} {}", a.verb, resource_label(a));
    if decision.level == wanted {
        pass(format!("{what} is logged at {} ({by})", wanted.as_str()))
    } else {
        fail(
            format!(
                "{what} is logged at {}, not {} ({by})",
                decision.level.as_str(),
                wanted.as_str()
            ),
            hint,
        )
    }
}

fn resource_label(a: &AuditLevel) -> String {
    if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    }
}

/// The answer file's value for `key` is what a finding of `rule` names.
pub fn answer(a: &Answer, graded: &Graded<'_>) -> Outcome {
    let hint = "read the audit log with `kaudit audit-log audit/audit.log` and copy what the finding names";
    let answers = match super::answer::read(&graded.folder.join(&a.file), &a.file) {
        Ok(answers) => answers,
        Err(e) => return fail(e, hint),
    };
    let given = answers.get(&a.key).map(|s| s.trim()).unwrap_or("");
    if given.is_empty() {
        return fail(format!("{} has no {} yet", a.file, a.key), hint);
    }
    let candidates: Vec<&Finding> = graded
        .report
        .findings
        .iter()
        .filter(|f| f.rule_id.eq_ignore_ascii_case(&a.rule))
        .filter(|f| {
            a.r#where
                .iter()
                .all(|(field, want)| field_of(f, field).is_some_and(|v| v == *want))
        })
        .collect();
    if candidates.is_empty() {
        return fail(
            format!(
                "the audit log shows no {} event to answer from (was it edited?)",
                a.rule
            ),
            hint,
        );
    }
    let right = candidates
        .iter()
        .any(|f| field_of(f, &a.field).is_some_and(|v| same_answer(&a.field, &v, given)));
    if right {
        pass(format!("{} is right", a.key))
    } else {
        fail(
            format!("{} {given:?} is not what the audit log shows", a.key),
            hint,
        )
    }
}

fn field_of(f: &Finding, field: &str) -> Option<String> {
    let s = &f.subject;
    let event = s.event.as_deref();
    Some(match field {
        "user" => event?.user.clone(),
        "verb" => event?.verb.clone(),
        "resource" => event?.resource.clone(),
        "timestamp" => event?.timestamp.clone(),
        "namespace" => s.namespace.to_string(),
        "name" => s.name.to_string(),
        "kind" => s.kind.to_string(),
        "container" => s.container.as_deref()?.to_string(),
        "image" => s.image.as_deref()?.to_string(),
        _ => return None,
    })
}

/// Times are the same instant to the second whatever their form; anything else exactly.
fn same_answer(field: &str, truth: &str, given: &str) -> bool {
    if field == "timestamp" {
        let second = |s: &str| crate::time::parse_rfc3339(s.trim()).map(|(secs, _)| secs);
        return second(truth).is_some() && second(truth) == second(given);
    }
    truth == given
}

/// A field holds the value asked.
pub fn field(f: &Field, graded: &Graded<'_>) -> Outcome {
    let hint = format!("set {} on {} {}/{}", f.path, f.kind, f.namespace, f.name);
    let Ok(paths) = f
        .alternatives()
        .map(Path::parse)
        .collect::<Result<Vec<_>, _>>()
    else {
        return fail(format!("the task's path {} does not read", f.path), &hint);
    };
    let object = match object(f, graded) {
        Ok(object) => object,
        Err(e) => return fail(e, &hint),
    };
    // The first alternative that selects anything: the most specific setting wins.
    let found = paths
        .iter()
        .map(|p| p.select(&object))
        .find(|found| !found.is_empty())
        .unwrap_or_default();
    let holds = |want: &serde_json::Value| {
        found
            .iter()
            .any(|v| *v == want || v.as_array().is_some_and(|a| a.contains(want)))
    };
    let ok = match (&f.equals, &f.contains, &f.excludes) {
        (Some(want), _, _) => !found.is_empty() && found.iter().all(|v| *v == want),
        (None, Some(want), _) => holds(want),
        (None, None, Some(unwanted)) => !holds(unwanted),
        (None, None, None) => !found.is_empty(),
    };
    if let (Some(unwanted), None, None) = (&f.excludes, &f.equals, &f.contains) {
        return if ok {
            pass(format!(
                "{} {}/{} has no {unwanted} at {}",
                f.kind, f.namespace, f.name, f.path
            ))
        } else {
            fail(format!("{} still holds {unwanted}", f.path), &hint)
        };
    }
    let want = f
        .equals
        .as_ref()
        .or(f.contains.as_ref())
        .map_or(String::new(), |v| v.to_string());
    if ok {
        pass(format!(
            "{} {}/{} sets {} to {want}",
            f.kind, f.namespace, f.name, f.path
        ))
    } else {
        let got = if found.is_empty() {
            "nothing".to_string()
        } else {
            found
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        fail(format!("{} is {got}, not {want}", f.path), &hint)
    }
}

/// The object a field criterion reads: a workload's pod spec from the audit, anything else
/// from the work folder's manifests.
fn object(f: &Field, graded: &Graded<'_>) -> Result<serde_json::Value, String> {
    if WORKLOAD_KINDS.contains(&f.kind.as_str()) {
        let workload = graded
            .inventory
            .workloads
            .iter()
            .find(|w| {
                w.kind.as_str() == f.kind && *w.namespace == *f.namespace && *w.name == *f.name
            })
            .ok_or_else(|| format!("{} {}/{} is not there", f.kind, f.namespace, f.name))?;
        return serde_json::to_value(&workload.spec).map_err(|e| e.to_string());
    }
    if !graded.cluster {
        return super::answer::find_object(graded.folder, &f.kind, &f.namespace, &f.name);
    }
    // On a live cluster: the kinds the audit reads, from what it read.
    let inventory = graded.inventory;
    let same = |ns: &str, name: &str| ns == f.namespace && name == f.name;
    let from_audit = match f.kind.as_str() {
        "NetworkPolicy" => inventory
            .network_policies
            .iter()
            .find(|p| same(&p.namespace, &p.name))
            .map(|p| serde_json::json!({"spec": p.spec})),
        "Ingress" => inventory
            .ingresses
            .iter()
            .find(|i| same(&i.namespace, &i.name))
            .map(|i| serde_json::json!({"spec": i.spec})),
        "Role" | "ClusterRole" => inventory
            .roles
            .iter()
            .find(|r| format!("{:?}", r.kind) == f.kind && same(&r.namespace, &r.name))
            .map(|r| serde_json::json!({"rules": r.rules})),
        "Namespace" => inventory.namespaces.get(&f.name).map(
            |n| serde_json::json!({"metadata": {"labels": n.labels, "annotations": n.annotations}}),
        ),
        "ServiceAccount" => inventory
            .service_accounts
            .iter()
            .find(|a| same(&a.namespace, &a.name))
            .map(|a| serde_json::json!({"automountServiceAccountToken": a.automount_token})),
        _ => None,
    };
    from_audit.ok_or_else(|| {
        format!(
            "{} {}/{} is not in what kaudit read from the cluster (it reads Namespaces, NetworkPolicies, Ingresses, Roles, ServiceAccounts and workloads; grade other kinds on the work folder)",
            f.kind, f.namespace, f.name
        )
    })
}

/// Every image the namespace runs is checked by an enforcing signature policy that fails
/// closed and trusts the work folder's key.
pub fn signature_policy(s: &SignaturePolicy, graded: &Graded<'_>) -> Outcome {
    let hint = "a Kyverno ClusterPolicy with validationFailureAction: Enforce (failurePolicy Fail) whose verifyImages attestor holds the key, matching the namespace's images";
    let key_path = graded.folder.join(&s.key);
    let key = match super::workdir::read_bounded(&key_path)
        .map_err(|e| e.to_string())
        .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8".into()))
        .and_then(|pem| TrustedKey::from_pem(&s.key, &pem))
    {
        Ok(key) => key,
        Err(e) => return fail(format!("{}: {e}", s.key), hint),
    };
    let admission = Admission::of(graded.inventory);
    let labels = graded
        .inventory
        .namespaces
        .get(&s.namespace)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    let mut images = 0;
    for workload in graded
        .inventory
        .workloads
        .iter()
        .filter(|w| *w.namespace == *s.namespace)
    {
        for image in workload
            .container_ids
            .iter()
            .filter_map(|c| c.image.as_deref())
        {
            images += 1;
            let coverage = admission::coverage(&admission, &s.namespace, &labels, image);
            let trusting = coverage
                .covering
                .iter()
                .filter(|c| c.keys.iter().any(|k| k.spki_der() == key.spki_der()));
            let enforcing = trusting
                .clone()
                .any(|c| c.action == Action::Enforce && !c.fails_open);
            // A key the task did not give (the rotated-out one) must not be trusted too: a
            // signature by it would still be admitted.
            if let Some(c) = coverage
                .covering
                .iter()
                .find(|c| c.keys.iter().any(|k| k.spki_der() != key.spki_der()))
            {
                return fail(
                    format!(
                        "{} also trusts a key other than {}: an image signed with it is admitted too",
                        c.policy, s.key
                    ),
                    hint,
                );
            }
            if enforcing {
                continue;
            }
            let why = if let Some(c) = trusting.clone().next() {
                if c.fails_open {
                    format!("{} trusts {} but fails open", c.policy, s.key)
                } else {
                    format!(
                        "{} trusts {} but only {}s",
                        c.policy,
                        s.key,
                        action_word(c.action)
                    )
                }
            } else if let Some(c) = coverage.covering.first() {
                format!("{} checks {image} but does not trust {}", c.policy, s.key)
            } else if let Some(excluded) = coverage.excluded.first() {
                format!("no policy checks {image} here: {excluded}")
            } else {
                format!("no signature policy checks {image} in {}", s.namespace)
            };
            return fail(why, hint);
        }
    }
    if images == 0 {
        return fail(format!("namespace {} runs no image", s.namespace), hint);
    }
    pass(format!(
        "every image in {} ({images}) must carry a signature by {} to be admitted",
        s.namespace, s.key
    ))
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Enforce => "enforce",
        Action::Audit => "audit",
        Action::Warn => "warn",
    }
}
