//! `kaudit rules`: the rule catalog as a table or JSON, or one rule's whole text.

use super::EXIT_OK;
use crate::rules::{RULES, Rule};
use std::io::Write;

/// The rules `wanted` names: by ID or name (any case), or by an equivalent check's ID.
fn find(wanted: &str) -> Vec<&'static Rule> {
    let by_id: Vec<&Rule> = RULES
        .iter()
        .filter(|r| r.id.eq_ignore_ascii_case(wanted) || r.name.eq_ignore_ascii_case(wanted))
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    RULES
        .iter()
        .filter(|r| {
            r.references
                .iter()
                .any(|x| x.id.eq_ignore_ascii_case(wanted))
        })
        .collect()
}

fn describe(r: &Rule) -> String {
    let references: Vec<String> = r
        .references
        .iter()
        .map(|x| format!("{} {}", x.source, x.id))
        .collect();
    format!(
        "{} {} ({})\n{} · {} · CKS: {}\n\nWhy: {}\n\nFix: {}\n\nSame check elsewhere: {}\nDocs: {}\n",
        r.id,
        r.title,
        r.name,
        r.severity.label(),
        r.area.as_str(),
        r.cks_domain,
        r.rationale,
        r.remediation,
        if references.is_empty() {
            "none".to_string()
        } else {
            references.join(", ")
        },
        r.doc_url
    )
}

/// `kaudit rules --falco`: each of Falco's k8saudit rules and what stands for it here.
pub fn falco(json: bool) -> anyhow::Result<u8> {
    use crate::auditlog::falco::{Equivalent, FALCO_K8SAUDIT, equivalent};
    let rows: Vec<(&str, &str, String)> = FALCO_K8SAUDIT
        .iter()
        .map(|(name, priority)| {
            let kaudit = match equivalent(name) {
                Some(Equivalent::Rules(ids)) => ids.join(", "),
                Some(Equivalent::Activity) => {
                    "activity entry (timeline, identities; not a finding)".to_string()
                }
                Some(Equivalent::RawEvents) => "the raw events (audit log view, y)".to_string(),
                None => "none".to_string(),
            };
            (*name, *priority, kaudit)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(n, p, k)| serde_json::json!({"falco_rule": n, "priority": p, "kaudit": k}))
            .collect();
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&list)?);
    } else {
        let _ = writeln!(out, "{:<56} {:<8} KAUDIT", "FALCO RULE", "PRIORITY");
        for (name, priority, kaudit) in rows {
            let _ = writeln!(out, "{name:<56} {priority:<8} {kaudit}");
        }
    }
    Ok(EXIT_OK)
}

pub fn run(rule: Option<&str>, json: bool) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    if let Some(wanted) = rule {
        let found = find(wanted);
        if found.is_empty() {
            anyhow::bail!(
                "no rule {wanted:?} (by ID, name or an equivalent check's ID; `kaudit rules` lists them)"
            );
        }
        if json {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&found)?);
        } else {
            let text: Vec<String> = found.iter().map(|r| describe(r)).collect();
            let _ = write!(out, "{}", text.join("\n"));
        }
        return Ok(EXIT_OK);
    }
    if json {
        let s = serde_json::to_string_pretty(RULES)?;
        let _ = writeln!(out, "{s}");
        return Ok(EXIT_OK);
    }
    let _ = writeln!(
        out,
        "{:<8} {:<9} {:<13} {:<40} TITLE",
        "ID", "SEVERITY", "AREA", "CKS DOMAIN"
    );
    for r in RULES {
        let _ = writeln!(
            out,
            "{:<8} {:<9} {:<13} {:<40} {}",
            r.id,
            r.severity.label(),
            r.area.as_str(),
            r.cks_domain,
            r.title
        );
    }
    Ok(EXIT_OK)
}
