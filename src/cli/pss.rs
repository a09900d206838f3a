//! `kaudit pss`: evaluate manifests at a Pod Security level and version, printing what the
//! admission plugin would say.

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, PssArgs, TextOrJson};
use crate::pss::{self, Level, PodView, Policy};
use crate::sanitize::strip_controls;
use crate::sources;
use std::io::Write;

#[derive(serde::Serialize)]
struct Line<'a> {
    path: &'a str,
    line: u32,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    level: Level,
    version: String,
    allowed: bool,
    reasons: Vec<String>,
}

pub fn run(args: &PssArgs) -> anyhow::Result<u8> {
    let inv = if args.paths.is_empty() {
        args.source.source()?.load()?
    } else {
        sources::from_manifests(&args.paths)
    };
    let policy = Policy {
        level: args.level,
        version: args.version,
    };
    let minor = args.version.effective_minor(None);
    let mut out = std::io::stdout().lock();
    let mut violating = 0usize;
    for w in &inv.workloads {
        let view = PodView::new(Some(&w.template_annotations), &w.spec, args.live);
        let violations = pss::evaluate(&view, args.level, minor);
        if !violations.is_empty() {
            violating += 1;
        }
        let written = match args.format {
            TextOrJson::Json => {
                let line = Line {
                    path: &w.origin.file,
                    line: w.origin.line,
                    kind: w.kind.as_str(),
                    namespace: &w.namespace,
                    name: &w.name,
                    level: args.level,
                    version: args.version.to_string(),
                    allowed: violations.is_empty(),
                    reasons: violations.iter().map(pss::Violation::text).collect(),
                };
                serde_json::to_string(&line)
                    .map(|s| writeln!(out, "{s}"))
                    .unwrap_or(Ok(()))
            }
            TextOrJson::Text => {
                let object = if w.namespace.is_empty() {
                    w.name.to_string()
                } else {
                    format!("{}/{}", w.namespace, w.name)
                };
                let verdict = if violations.is_empty() {
                    format!("allowed by PodSecurity \"{policy}\"")
                } else {
                    let verb = if w.kind == crate::inventory::WorkloadKind::Pod {
                        "violates"
                    } else {
                        "would violate"
                    };
                    format!(
                        "{verb} PodSecurity \"{policy}\": {}",
                        pss::joined(&violations)
                    )
                };
                writeln!(
                    out,
                    "{}:{}: {} {}: {}",
                    w.origin.file,
                    w.origin.line,
                    w.kind.as_str(),
                    strip_controls(&object),
                    strip_controls(&verdict)
                )
            }
        };
        if written.is_err() {
            break; // stdout closed
        }
    }
    for e in &inv.errors {
        eprintln!("kaudit: {}", strip_controls(&e.to_string()));
    }
    eprintln!(
        "{} objects evaluated at {policy} (as v1.{minor}): {violating} violate, {} allowed; {} could not be read",
        inv.workloads.len(),
        inv.workloads.len() - violating,
        inv.errors.len()
    );
    Ok(if violating > 0 {
        EXIT_FINDINGS
    } else if !inv.errors.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}
