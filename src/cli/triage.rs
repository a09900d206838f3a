//! `kaudit triage list|export`: the decisions taken in the TUI, for reading and for git.

use super::{EXIT_OK, TextOrJson, TriageAction};
use crate::sanitize::strip_controls;
use crate::store::Store;
use crate::triage::decisions::Decision;
use crate::triage::{self, Exemption};
use std::io::Write;
use std::path::Path;

pub fn run(action: &TriageAction) -> anyhow::Result<u8> {
    let (TriageAction::List { scope, store, .. } | TriageAction::Export { scope, store, .. }) =
        action;
    let path = store.required_store_path()?;
    let context = scope.history_context();
    let context = context.as_deref();
    let decisions = match Store::open_existing(&path)? {
        Some(store) => store.decisions_with_context(context)?,
        None => Vec::new(),
    };
    match action {
        TriageAction::List { format, .. } => list(&decisions, *format)?,
        TriageAction::Export { output, .. } => {
            let text = triage::render_exemptions(&as_exemptions(&decisions));
            match output {
                Some(file) => {
                    write_plain_file(file, text.as_bytes())?;
                    eprintln!(
                        "{}: {} exemptions from {} decisions",
                        file.display(),
                        as_exemptions(&decisions).len(),
                        decisions.len()
                    );
                }
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
        }
    }
    Ok(EXIT_OK)
}

/// Accepted risks and false positives, each an exemption of its one finding (the subject
/// written literally: a `*` in a name matches only itself). The same finding decided in
/// several contexts is written once.
pub fn as_exemptions(decisions: &[(String, Decision)]) -> Vec<Exemption> {
    let mut out: Vec<Exemption> = Vec::new();
    for (_, d) in decisions.iter().filter(|(_, d)| d.verdict.suppresses()) {
        let exemption = Exemption {
            rule: d.rule_id.clone(),
            subject: triage::literal_pattern(&d.subject),
            reason: format!("{}: {}", d.verdict.label(), d.reason),
            expires: d.expires.clone(),
            owner: Some(d.author.clone()),
        };
        if !out
            .iter()
            .any(|e| e.rule == exemption.rule && e.subject == exemption.subject)
        {
            out.push(exemption);
        }
    }
    out
}

fn list(decisions: &[(String, Decision)], format: TextOrJson) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == TextOrJson::Json {
        let rows: Vec<serde_json::Value> = decisions
            .iter()
            .map(|(context, d)| {
                let mut row = serde_json::to_value(d).unwrap_or_default();
                row["context"] = serde_json::Value::String(context.clone());
                row
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if decisions.is_empty() {
        writeln!(
            out,
            "no triage decisions yet; mark findings with `m` in the TUI"
        )?;
        return Ok(());
    }
    for (context, d) in decisions {
        let expires = d
            .expires
            .as_deref()
            .map_or(String::new(), |e| format!(", until {e}"));
        writeln!(
            out,
            "{} {} {}: {} by {} on {}{}\n    {}\n    ({})",
            d.finding,
            strip_controls(&d.rule_id),
            strip_controls(&d.subject),
            d.verdict.label(),
            strip_controls(&d.author),
            strip_controls(d.decided.get(..10).unwrap_or(&d.decided)),
            strip_controls(&expires),
            strip_controls(&d.reason),
            strip_controls(context)
        )?;
    }
    Ok(())
}

/// Writes `bytes` to `path` as a plain file: a symbolic link planted there is refused, not
/// followed.
fn write_plain_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}
