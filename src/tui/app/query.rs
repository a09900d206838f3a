//! `:findings` conditions: exact, structured and combinable (`severity>=high area=rbac
//! rule=AUD001,AUD004 ns=shop`), unlike `/`, whose free text matches anywhere in a row.

use crate::severity::{Area, Severity};
use crate::tui::model::FindingRow;

/// What `:findings` keeps; empty keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingsQuery {
    /// `severity>=X` (`severity=X` sets both bounds).
    pub min_severity: Option<Severity>,
    pub max_severity: Option<Severity>,
    pub area: Option<Area>,
    /// `rule=A,B`: any of these rules.
    pub rules: Vec<String>,
    pub namespace: Option<String>,
    /// `user=NAME`: audit-log findings of this identity.
    pub user: Option<String>,
    /// `from=TIME` / `to=TIME` (RFC 3339): audit-log findings of events in `[from, to)`.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The conditions `:findings` takes, for its error message and the help.
pub const CONDITIONS: &str = "severity>=high, severity=medium, area=rbac, rule=AUD001,AUD004, ns=shop, user=jane, from=/to=2026-11-20T09:00:00Z (or a bare severity or area)";

impl FindingsQuery {
    /// Any of these rules' findings.
    pub fn rules(ids: &[&str]) -> FindingsQuery {
        FindingsQuery {
            rules: ids.iter().map(|r| r.to_string()).collect(),
            ..FindingsQuery::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == FindingsQuery::default()
    }

    /// Reads `:findings` arguments; `Err` names the first one that is not a condition.
    pub fn parse(args: &str) -> Result<FindingsQuery, String> {
        let mut q = FindingsQuery::default();
        for word in args.split_whitespace() {
            let (key, op, value) = split(word);
            match (key, op) {
                ("severity" | "sev", ">=") => q.min_severity = Some(severity(value)?),
                ("severity" | "sev", "=") | ("", "") if value.parse::<Severity>().is_ok() => {
                    let s = severity(value)?;
                    q.min_severity = Some(s);
                    q.max_severity = Some(s);
                }
                ("area", "=") | ("", "") if area(value).is_some() => q.area = area(value),
                ("rule", "=") => {
                    q.rules = value
                        .split(',')
                        .filter(|r| !r.is_empty())
                        .map(str::to_ascii_uppercase)
                        .collect();
                }
                ("ns" | "namespace", "=") if !value.is_empty() => {
                    q.namespace = Some(value.to_string());
                }
                ("user", "=") if !value.is_empty() => q.user = Some(value.to_string()),
                ("from" | "to", "=") => {
                    let (secs, _) = crate::time::parse_rfc3339(value)
                        .ok_or_else(|| format!("{value:?} is not an RFC 3339 time"))?;
                    match key {
                        "from" => q.from = Some(secs),
                        _ => q.to = Some(secs),
                    }
                }
                _ => return Err(format!("{word:?} is not a condition (try {CONDITIONS})")),
            }
        }
        Ok(q)
    }

    pub fn keeps(&self, f: &FindingRow) -> bool {
        self.min_severity.is_none_or(|s| f.severity >= s)
            && self.max_severity.is_none_or(|s| f.severity <= s)
            && self.area.is_none_or(|a| f.area == a)
            && (self.rules.is_empty() || self.rules.iter().any(|r| r == f.rule_id))
            && self.namespace.as_deref().is_none_or(|n| f.namespace == n)
            && self
                .user
                .as_deref()
                .is_none_or(|u| f.user.as_deref() == Some(u))
            && self
                .from
                .is_none_or(|from| f.time.is_some_and(|t| t >= from))
            && self.to.is_none_or(|to| f.time.is_some_and(|t| t < to))
    }

    /// As the findings table's title shows it: `severity>=high area=rbac`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.min_severity, self.max_severity) {
            (Some(a), Some(b)) if a == b => parts.push(format!("severity={}", a.as_str())),
            (Some(a), _) => parts.push(format!("severity>={}", a.as_str())),
            _ => {}
        }
        if let Some(a) = self.area {
            parts.push(format!("area={}", a.as_str()));
        }
        if !self.rules.is_empty() {
            parts.push(format!("rule={}", self.rules.join(",")));
        }
        if let Some(n) = &self.namespace {
            parts.push(format!("ns={n}"));
        }
        if let Some(u) = &self.user {
            parts.push(format!("user={u}"));
        }
        if let Some(t) = self.from {
            parts.push(format!("from={}", crate::time::rfc3339(t)));
        }
        if let Some(t) = self.to {
            parts.push(format!("to={}", crate::time::rfc3339(t)));
        }
        parts.join(" ")
    }
}

/// `key>=value`, `key=value`, or a bare word (`("", "", word)`).
fn split(word: &str) -> (&str, &str, &str) {
    if let Some((k, v)) = word.split_once(">=") {
        return (k, ">=", v);
    }
    match word.split_once('=') {
        Some((k, v)) => (k, "=", v),
        None => ("", "", word),
    }
}

fn severity(value: &str) -> Result<Severity, String> {
    value
        .parse::<Severity>()
        .map_err(|_| format!("{value:?} is not a severity (critical, high, medium, low, info)"))
}

fn area(value: &str) -> Option<Area> {
    Area::ALL.into_iter().find(|a| {
        a.as_str() == value
            || (value == "pss" && *a == Area::PodSecurity)
            || (value == "sig" && *a == Area::Signatures)
            || (value == "audit" && *a == Area::AuditLog)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_combine_and_bare_words_are_structured() {
        let q =
            FindingsQuery::parse("severity>=high area=rbac rule=aud001,AUD004 ns=shop").unwrap();
        assert_eq!(q.min_severity, Some(Severity::High));
        assert_eq!(q.max_severity, None);
        assert_eq!(q.area, Some(Area::Rbac));
        assert_eq!(q.rules, ["AUD001", "AUD004"]);
        assert_eq!(q.namespace.as_deref(), Some("shop"));
        assert_eq!(
            q.describe(),
            "severity>=high area=rbac rule=AUD001,AUD004 ns=shop"
        );
        let bare = FindingsQuery::parse("high rbac").unwrap();
        assert_eq!(bare.describe(), "severity=high area=rbac");
        assert!(FindingsQuery::parse("").unwrap().is_empty());
        assert!(
            FindingsQuery::parse("shop")
                .unwrap_err()
                .contains("not a condition")
        );
        assert!(
            FindingsQuery::parse("severity>=loud")
                .unwrap_err()
                .contains("not a severity")
        );
    }
}
