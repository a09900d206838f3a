//! A command that checks a finding's fix on the cluster, read-only (`kubectl auth can-i`,
//! a server-side dry run), fitted to the finding: its namespace, object and identity.

use crate::engine::Report;
use crate::findings::Finding;
use crate::sanitize::strip_controls;

const WORKLOAD_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// A word for a shell: as is when it holds nothing a shell reads, else single-quoted.
fn quote(word: &str) -> String {
    let word = strip_controls(word);
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/@=,-".contains(c))
    {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The identity a binding's first subject is, for `--as` (`--as-group` for a group).
fn identity(finding: &Finding) -> Option<String> {
    let people = finding
        .evidence
        .iter()
        .find(|e| e.pointer.text().ends_with("/subjects"))?;
    let first = people.value.split(", ").next()?;
    let (kind, name) = first.split_once(' ')?;
    Some(match kind {
        "ServiceAccount" => {
            let (ns, sa) = name.split_once('/')?;
            format!(
                "--as={}",
                quote(&format!("system:serviceaccount:{ns}:{sa}"))
            )
        }
        "User" => format!("--as={}", quote(name)),
        "Group" => format!("--as=kaudit-check --as-group={}", quote(name)),
        _ => return None,
    })
}

/// The Pod Security level a workload's finding is judged at (`restricted` when unsaid).
fn level_of(finding: &Finding) -> &'static str {
    if finding.message().contains("\"baseline:") {
        "baseline"
    } else {
        "restricted"
    }
}

/// How to check the fix, when kaudit knows one.
pub fn command(report: &Report, f: &Finding) -> Option<String> {
    let s = &f.subject;
    if s.event.is_some() {
        return None;
    }
    let ns = quote(&s.namespace);
    let name = quote(&s.name);
    // Where `can-i` asks: the binding's namespace, or every one for a cluster-wide binding.
    let scope = if s.namespace.is_empty() {
        "-A".to_string()
    } else {
        format!("-n {ns}")
    };
    let kind = s.kind;
    let rule = f.rule_id;
    Some(match rule {
        _ if rule.starts_with("PSS") || rule == "PSA002" => format!(
            "kubectl label --dry-run=server --overwrite ns {ns} pod-security.kubernetes.io/enforce={}  # warns about every pod that level rejects",
            level_of(f)
        ),
        "PSA001" | "PSA003" => {
            let could = report
                .namespaces
                .iter()
                .find(|n| n.name == *s.name)
                .map_or("baseline", |n| n.highest_enforceable.as_str());
            match could {
                // Not even baseline yet: the dry run lists the pods to fix first.
                "privileged" => format!(
                    "kubectl label --dry-run=server --overwrite ns {name} pod-security.kubernetes.io/enforce=baseline  # warns about every pod to fix first"
                ),
                level => format!(
                    "kubectl label --dry-run=server --overwrite ns {name} pod-security.kubernetes.io/enforce={level}  # no warning: every pod passes"
                ),
            }
        }
        "NET001" => format!("kubectl -n {name} get networkpolicy -o wide"),
        "NET002" => format!("kubectl -n {ns} get ingress {name} -o jsonpath='{{.spec.tls}}'"),
        "RBAC002" => format!("kubectl auth can-i '*' '*' {}", identity(f)?),
        "RBAC003" => format!("kubectl auth can-i get secrets {scope} {}", identity(f)?),
        "RBAC004" => format!(
            "kubectl auth can-i create pods/exec {scope} {}",
            identity(f)?
        ),
        "RBAC005" => format!(
            "kubectl auth can-i bind roles.rbac.authorization.k8s.io {scope} {}",
            identity(f)?
        ),
        _ if WORKLOAD_KINDS.contains(&kind)
            && (rule.starts_with("IMG") || rule.starts_with("VUL") || rule.starts_with("SIG")) =>
        {
            format!(
                "kubectl -n {ns} get {} {name} -o jsonpath='{{..image}}'",
                kind.to_ascii_lowercase()
            )
        }
        _ if WORKLOAD_KINDS.contains(&kind) => format!(
            "kubectl -n {ns} get {} {name} -o yaml  # the fields the evidence names",
            kind.to_ascii_lowercase()
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn hostile_words_are_quoted_for_a_shell() {
        assert_eq!(quote("shop"), "shop");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("x'; rm -rf /"), r"'x'\''; rm -rf /'");
        assert_eq!(quote("$(id)"), "'$(id)'");
    }
}
