//! Triage: findings suppressed by an annotation on the object, by an exemptions file or by a
//! decision taken in an earlier session. Suppressed findings are kept, counted and listed;
//! expired exemptions and decisions that no longer hold are reported.

pub mod decisions;
pub mod edit;

use decisions::{Decision, Judged, Standing};

use crate::findings::{Finding, SuppressedBy, Suppression};
use crate::inventory::Inventory;
use crate::rules;
use crate::yaml::ParseError;
use std::collections::HashMap;
use std::sync::Arc;

/// `kaudit.io/ignore: "POD005=reason; IMG002=reason"` on an object or its pod template.
pub const IGNORE_ANNOTATION: &str = "kaudit.io/ignore";

/// One entry of an exemptions file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// Rule ID or name.
    pub rule: String,
    /// `namespace/Kind/name[/container]`, `*` matching any text: `shop/Deployment/*`.
    pub subject: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the exemption stops applying after that day.
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionsFile {
    exemptions: Vec<Exemption>,
}

/// Reads an exemptions file; every problem is reported with its place, nothing is guessed.
pub fn parse_exemptions(name: &str, text: &str) -> Result<Vec<Exemption>, ParseError> {
    let docs = crate::yaml::split_documents(text);
    let doc = match docs.first() {
        Some(d) => crate::yaml::parse_document(*d)
            .map_err(|e| ParseError::new(name, Some(e.line), e.message))?,
        None => None,
    };
    let Some(doc) = doc else {
        return Ok(Vec::new());
    };
    let file: ExemptionsFile =
        crate::yaml::lenient::from_value_with_path(&doc.value).map_err(|(path, e)| {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!("{path}: ")
            };
            ParseError::new(name, None, format!("{at}{e}"))
        })?;
    for (i, e) in file.exemptions.iter().enumerate() {
        if rules::find(&e.rule).is_none() {
            return Err(ParseError::new(
                name,
                None,
                format!(
                    "exemptions[{i}]: unknown rule {:?} (see `kaudit rules`)",
                    e.rule
                ),
            ));
        }
        if e.reason.trim().is_empty() {
            return Err(ParseError::new(
                name,
                None,
                format!("exemptions[{i}]: a reason is required"),
            ));
        }
        if let Some(d) = &e.expires
            && !is_date(d)
        {
            return Err(ParseError::new(
                name,
                None,
                format!("exemptions[{i}]: expires must be YYYY-MM-DD, got {d:?}"),
            ));
        }
    }
    Ok(file.exemptions)
}

/// `YYYY-MM-DD` in shape (the digits are not checked against a calendar).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// (kind, namespace, name) of an annotated object.
type ObjectKey = (&'static str, Arc<str>, Arc<str>);

/// Writes an exemptions file that [`parse_exemptions`] reads back. Strings are written as
/// double-quoted (JSON-escaped) scalars, which YAML reads verbatim.
pub fn render_exemptions(exemptions: &[Exemption]) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = String::from(
        "# kaudit exemptions: findings accepted with a reason (kaudit --exemptions FILE).\n# Written by kaudit; edit freely. subject: namespace/Kind/name[/container], * matches anything.\nexemptions:\n",
    );
    if exemptions.is_empty() {
        out = out.replace("exemptions:\n", "exemptions: []\n");
    }
    for e in exemptions {
        out.push_str(&format!(
            "- rule: {}\n  subject: {}\n  reason: {}\n",
            q(&e.rule),
            q(&e.subject),
            q(&e.reason)
        ));
        if let Some(x) = &e.expires {
            out.push_str(&format!("  expires: {}\n", q(x)));
        }
        if let Some(x) = &e.owner {
            out.push_str(&format!("  owner: {}\n", q(x)));
        }
    }
    out
}

/// What triage is given: the exemptions file and the decisions kept for this context.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    pub exemptions: Vec<Exemption>,
    pub decisions: Vec<Decision>,
}

/// What triage found besides suppressing findings.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TriageNotes {
    pub expired_exemptions: Vec<Exemption>,
    pub unused_exemptions: Vec<Exemption>,
    /// Malformed `kaudit.io/ignore` entries, with the object they are on.
    pub annotation_errors: Vec<String>,
    /// Every decision kept for this context and how it stands in this audit.
    pub decisions: Vec<Judged>,
}

/// Glob match where `*` matches any run of characters.
/// A subject pattern: `*` matches any run of characters; `\*` and `\\` stand for
/// themselves.
#[derive(Clone, Copy, PartialEq)]
enum Token {
    Star,
    Char(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '*' => Token::Star,
            c => Token::Char(c),
        });
    }
    out
}

/// A subject written as a pattern that matches only itself: what kaudit writes when the
/// user suppresses one finding (a name with `*` in it must not suppress its neighbours).
pub fn literal_pattern(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    for c in subject.chars() {
        if matches!(c, '*' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<Token>, Vec<char>) = (tokens(pattern), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == Token::Char(t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == Token::Star {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == Token::Star)
}

/// Whether an exemption applies to a finding (rule ID or name, and subject pattern).
pub fn exemption_matches(e: &Exemption, f: &Finding) -> bool {
    let rule_ok = rules::find(&e.rule).is_some_and(|r| r.id == f.rule_id);
    let path = f.subject.path();
    let object_path = crate::findings::Subject {
        container: None,
        ..f.subject.clone()
    }
    .path();
    rule_ok && (glob(&e.subject, &path) || glob(&e.subject, &object_path))
}

/// Parses an ignore annotation into (rule ID, reason) pairs, collecting errors.
fn parse_ignore(
    value: &str,
    object: &str,
    errors: &mut Vec<String>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for entry in value
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (rule, reason) = entry.split_once('=').unwrap_or((entry, ""));
        match rules::find(rule.trim()) {
            Some(r) if !reason.trim().is_empty() => out.push((r.id, reason.trim().to_string())),
            Some(r) => errors.push(format!(
                "{object}: {IGNORE_ANNOTATION} entry for {} has no reason (write {}=<why>)",
                r.id, r.id
            )),
            None => errors.push(format!(
                "{object}: {IGNORE_ANNOTATION} names unknown rule {:?}",
                rule.trim()
            )),
        }
    }
    out
}

/// Marks findings suppressed by annotations, decisions and exemptions, in that order (the
/// object's own word first, then what was decided on this very finding, then patterns).
/// `today` is `YYYY-MM-DD`.
pub fn apply(
    findings: &mut [Finding],
    inv: &Inventory,
    inputs: &Inputs,
    today: &str,
) -> TriageNotes {
    let exemptions = &inputs.exemptions;
    let mut notes = TriageNotes::default();
    let decided: HashMap<crate::findings::FindingId, &Decision> =
        inputs.decisions.iter().map(|d| (d.finding, d)).collect();
    let mut standings: HashMap<crate::findings::FindingId, Standing> = HashMap::new();
    // Annotations, keyed by (kind, namespace, name).
    let mut ignores: HashMap<ObjectKey, Vec<(&'static str, String)>> = Default::default();
    for w in &inv.workloads {
        for annotations in [&w.annotations, &w.template_annotations] {
            if let Some(v) = annotations.get(IGNORE_ANNOTATION) {
                let object = format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name);
                let parsed = parse_ignore(v, &object, &mut notes.annotation_errors);
                ignores
                    .entry((w.kind.as_str(), w.namespace.clone(), w.name.clone()))
                    .or_default()
                    .extend(parsed);
            }
        }
    }
    for ns in inv.namespaces.values() {
        if let Some(v) = ns.annotations.get(IGNORE_ANNOTATION) {
            let parsed = parse_ignore(
                v,
                &format!("Namespace {}", ns.name),
                &mut notes.annotation_errors,
            );
            ignores
                .entry(("Namespace", Arc::from(""), Arc::from(ns.name.as_str())))
                .or_default()
                .extend(parsed);
        }
    }
    let (active, expired): (Vec<&Exemption>, Vec<&Exemption>) = exemptions
        .iter()
        .partition(|e| e.expires.as_deref().is_none_or(|d| d >= today));
    notes.expired_exemptions = expired.into_iter().cloned().collect();
    let mut used = vec![false; active.len()];
    for f in findings.iter_mut() {
        let decision = decided.get(&f.id).map(|decision| {
            let standing = decisions::standing(decision, f, today);
            standings.insert(f.id, standing);
            f.decision = Some(Box::new(Judged {
                decision: (*decision).clone(),
                standing,
            }));
            (decision, standing)
        });
        let key = (
            f.subject.kind,
            f.subject.namespace.clone(),
            f.subject.name.clone(),
        );
        if let Some((_, reason)) = ignores
            .get(&key)
            .and_then(|v| v.iter().find(|(id, _)| *id == f.rule_id))
        {
            f.suppressed = Some(Box::new(Suppression {
                by: SuppressedBy::Annotation,
                reason: reason.clone(),
                expires: None,
            }));
            continue;
        }
        if let Some((decision, Standing::Applied)) = decision
            && decision.verdict.suppresses()
        {
            f.suppressed = Some(Box::new(Suppression {
                by: SuppressedBy::Triage,
                reason: format!("{}: {}", decision.verdict.label(), decision.reason),
                expires: decision.expires.clone(),
            }));
            continue;
        }
        if let Some(i) = active.iter().position(|e| exemption_matches(e, f)) {
            used[i] = true;
            f.suppressed = Some(Box::new(Suppression {
                by: SuppressedBy::Exemption,
                reason: active[i].reason.clone(),
                expires: active[i].expires.clone(),
            }));
        }
    }
    notes.unused_exemptions = active
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(e, _)| (*e).clone())
        .collect();
    notes.decisions = inputs
        .decisions
        .iter()
        .map(|d| Judged {
            decision: d.clone(),
            standing: standings
                .get(&d.finding)
                .copied()
                .unwrap_or(Standing::NotFound),
        })
        .collect();
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exemptions_round_trip() {
        let list = vec![
            Exemption {
                rule: "POD005".into(),
                subject: "shop/Deployment/web/app".into(),
                reason: "cache: \"tmp\" # not a comment".into(),
                expires: Some("2027-01-01".into()),
                owner: None,
            },
            Exemption {
                rule: "IMG002".into(),
                subject: "*".into(),
                reason: "multi\nline".into(),
                expires: None,
                owner: Some("ops".into()),
            },
        ];
        assert_eq!(
            parse_exemptions("x", &render_exemptions(&list)).unwrap(),
            list
        );
        assert!(
            parse_exemptions("x", &render_exemptions(&[]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn globs() {
        assert!(glob("shop/Deployment/*", "shop/Deployment/web/app"));
        assert!(glob("*/Pod/debug-*", "default/Pod/debug-shell"));
        assert!(!glob("shop/Deployment/web", "shop/Deployment/web2"));
        assert!(glob("*", ""));
        // What kaudit writes for one finding matches that finding only.
        let written = literal_pattern("x/Pod/web*");
        assert_eq!(written, "x/Pod/web\\*");
        assert!(glob(&written, "x/Pod/web*"));
        assert!(!glob(&written, "x/Pod/web-prod"));
        assert!(glob(&literal_pattern("a\\b"), "a\\b"));
    }

    #[test]
    fn exemption_files_are_validated() {
        let ok = "exemptions:\n- rule: POD005\n  subject: shop/*\n  reason: cache\n  expires: 2027-01-01\n";
        assert_eq!(parse_exemptions("x", ok).unwrap().len(), 1);
        let bad_rule = "exemptions:\n- rule: NOPE\n  subject: '*'\n  reason: r\n";
        assert!(
            parse_exemptions("x", bad_rule)
                .unwrap_err()
                .message
                .contains("unknown rule")
        );
        let bad_date =
            "exemptions:\n- rule: POD005\n  subject: '*'\n  reason: r\n  expires: tomorrow\n";
        assert!(
            parse_exemptions("x", bad_date)
                .unwrap_err()
                .message
                .contains("YYYY-MM-DD")
        );
        let typo = "exemptions:\n- rule: POD005\n  subjet: '*'\n  reason: r\n";
        assert!(parse_exemptions("x", typo).is_err());
    }

    #[test]
    fn ignore_annotations_need_known_rules_and_reasons() {
        let mut errors = Vec::new();
        let parsed = parse_ignore(
            "POD005=cache dir; writable-root-filesystem=dup\nNOPE=x; IMG001",
            "Pod a",
            &mut errors,
        );
        assert_eq!(parsed.len(), 2);
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}
