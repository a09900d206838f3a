//! `kaudit history` and `kaudit store path|vacuum|export`: the audit history, for the user
//! who wants to look.

use super::{EXIT_OK, HistoryArgs, StoreAction, TextOrJson};
use crate::sanitize::strip_controls;
use crate::store::Store;
use std::io::Write;

pub fn list(args: &HistoryArgs) -> anyhow::Result<u8> {
    let path = args.store.required_store_path()?;
    let context = args.scope.history_context();
    let context = context.as_deref();
    let sessions = match Store::open_existing(&path)? {
        Some(store) => store.sessions(context, args.limit)?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    if args.format == TextOrJson::Json {
        serde_json::to_writer_pretty(&mut out, &sessions)?;
        writeln!(out)?;
        return Ok(EXIT_OK);
    }
    if sessions.is_empty() {
        writeln!(
            out,
            "no audits in the history yet ({}); `kaudit scan` saves one",
            path.display()
        )?;
        return Ok(EXIT_OK);
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<10}  {:>8}  {:>10}  context",
        "id", "started", "source", "findings", "suppressed"
    )?;
    for s in &sessions {
        writeln!(
            out,
            "{:>5}  {:<20}  {:<10}  {:>8}  {:>10}  {}",
            s.id,
            strip_controls(&s.started),
            strip_controls(&s.source),
            s.findings,
            s.suppressed,
            strip_controls(&s.context)
        )?;
    }
    Ok(EXIT_OK)
}

pub fn store(action: &StoreAction) -> anyhow::Result<u8> {
    let (StoreAction::Path { store }
    | StoreAction::Vacuum { store }
    | StoreAction::Export { store }) = action;
    let path = store.required_store_path()?;
    match action {
        StoreAction::Path { .. } => println!("{}", path.display()),
        StoreAction::Vacuum { .. } => match Store::open_existing(&path)? {
            Some(store) => {
                let saved = store.vacuum()?;
                eprintln!(
                    "{}: {} bytes freed, {} bytes now",
                    path.display(),
                    saved,
                    store.size()
                );
            }
            None => eprintln!("{}: no history yet", path.display()),
        },
        StoreAction::Export { .. } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let sessions = match Store::open_existing(&path)? {
                Some(store) => {
                    let all = store.sessions(None, usize::MAX >> 1)?;
                    let mut exported = Vec::with_capacity(all.len());
                    for session in all {
                        let findings: Vec<serde_json::Value> = store
                            .findings_of(session.id)?
                            .into_iter()
                            .map(|f| {
                                serde_json::json!({
                                    "id": f.id.to_string(), "rule_id": f.rule_id,
                                    "severity": f.severity, "subject": f.subject,
                                    "message": f.message,
                                })
                            })
                            .collect();
                        let mut value = serde_json::to_value(&session)?;
                        value["items"] = serde_json::Value::Array(findings);
                        exported.push(value);
                    }
                    exported
                }
                None => Vec::new(),
            };
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"schema_version": 1, "sessions": sessions}),
            )?;
            writeln!(out)?;
            out.flush()?;
        }
    }
    Ok(EXIT_OK)
}
