//! What the runtime does for the effects `App::update` asks for: each slow one becomes a
//! [`Jobs`] job working on a shared copy of the session, whose result comes back as an
//! event. Nothing here blocks the UI thread.

use super::app::{App, Effect, Event, ExportFormat, ExportScope, Prepared};
use super::jobs::{JobKind, Jobs};
use super::run::Options;
use crate::session::Session;
use crate::sources::locate::TextSource;
use crate::triage::decisions::Decision;
use crate::triage::{self, Exemption};
use crate::yaml;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Carries out an effect; returns the event that reports its outcome when it is known at
/// once (or the job ran in place).
pub fn perform(app: &App, effect: Effect, options: &Options, jobs: &Jobs) -> Option<Event> {
    match effect {
        // The event loop handles these; they need the reading state.
        Effect::Quit | Effect::Reload { .. } | Effect::ListContexts => None,
        Effect::LoadYaml { finding } => {
            let audit = app.audit.as_ref()?;
            let f = audit.report.findings.get(finding)?;
            let loc = f.location.clone()?;
            let source = audit.source.clone();
            let file = loc.file.to_string();
            // An audit event: the raw event from its log line, pretty-printed.
            if let Some(event) = &f.subject.event {
                let (line, id) = (u64::from(loc.line), event.audit_id.clone());
                return jobs.start(JobKind::Yaml, move || {
                    let lines = source
                        .open(&file)
                        .map_err(|e| format!("cannot read {file}: {e}"))
                        .and_then(|reader| {
                            crate::auditlog::reader::raw_event_in(reader, &file, line, &id)
                        })
                        .unwrap_or_else(|e| vec![format!("(the raw event cannot be shown: {e})")]);
                    Event::Yaml {
                        finding,
                        first_line: 1,
                        lines,
                        raw_event: true,
                    }
                });
            }
            jobs.start(JobKind::Yaml, move || {
                let (first_line, lines) = object_text(&source, &file, loc.line)
                    .unwrap_or_else(|| (1, vec![format!("({file} cannot be read now)")]));
                Event::Yaml {
                    finding,
                    first_line,
                    lines,
                    raw_event: false,
                }
            })
        }
        Effect::Export {
            format,
            findings,
            scope,
        } => {
            let report = app.audit.as_ref()?.report.clone();
            let dir = options.export_dir.clone();
            jobs.start(JobKind::Export, move || {
                Event::Done(export(&report, format, findings.as_deref(), scope, &dir))
            })
        }
        Effect::Suppress { finding, reason } => {
            let audit = app.audit.as_ref()?;
            let f = audit.report.findings.get(finding)?;
            let exemption = Exemption {
                rule: f.rule_id.to_string(),
                subject: triage::literal_pattern(&f.subject.path()),
                reason,
                expires: None,
                owner: std::env::var("USER").ok().filter(|u| !u.is_empty()),
            };
            triage_job(
                audit.share(),
                &options.exemptions_path,
                jobs,
                move |path, _| suppress(exemption, path),
            )
        }
        Effect::Unsuppress { finding } => {
            let audit = app.audit.as_ref()?;
            let f = audit.report.findings.get(finding)?.clone();
            triage_job(
                audit.share(),
                &options.exemptions_path,
                jobs,
                move |path, current| unsuppress(&f, path, current),
            )
        }
        Effect::Decide {
            finding,
            verdict,
            reason,
            expires,
        } => {
            let audit = app.audit.as_ref()?;
            let f = audit.report.findings.get(finding)?.clone();
            let shared = audit.share();
            let (store, author) = (options.store.clone(), options.author.clone());
            jobs.start(JobKind::Triage, move || {
                let Some(store) = store else {
                    return Event::Done(Err(
                        "decisions are kept in the audit history, and this run has none (--no-store or no data folder)"
                            .into(),
                    ));
                };
                let decision = verdict.map(|verdict| {
                    let author = crate::session::history::author(author.as_deref());
                    let mut decision = Decision::on(&f, verdict, reason, author);
                    decision.expires = expires;
                    decision
                });
                let context = shared.report.source.context.clone();
                match crate::session::history::decide(&store, &context, &f, decision.as_ref()) {
                    Ok(decisions) => {
                        let message = match &decision {
                            Some(d) => format!(
                                "{} on {}: {} by {} (m again changes it)",
                                f.rule_id,
                                f.subject.path(),
                                d.verdict.label(),
                                d.author
                            ),
                            None => format!("decision on {} {} taken back", f.rule_id, f.subject.path()),
                        };
                        let session = shared.with_decisions(decisions);
                        Event::Rejudged(Box::new(Prepared::new(session)), message)
                    }
                    Err(e) => Event::Done(Err(e)),
                }
            })
        }
        Effect::MergeAuditLog(analysis) => {
            let shared = app.audit.as_ref()?.share();
            jobs.start(JobKind::Rejudge, move || {
                let before = shared.audit_log.as_ref().map_or(0, |a| a.stats.events);
                let events = analysis.stats.events;
                let session = shared.with_audit_log(*analysis);
                Event::Rejudged(
                    Box::new(Prepared::new(session)),
                    format!(
                        "audit log: {} new events ({events} in all)",
                        events.saturating_sub(before)
                    ),
                )
            })
        }
        Effect::ApplyImageFacts(facts, notes) => {
            let shared = app.audit.as_ref()?.share();
            jobs.start(JobKind::Facts, move || {
                let message = notes.last().cloned().unwrap_or_default();
                let session = shared.with_vulnerabilities(*facts, notes);
                Event::Rejudged(Box::new(Prepared::new(session)), message)
            })
        }
        Effect::ApplySignatureFacts(facts, notes) => {
            let shared = app.audit.as_ref()?.share();
            jobs.start(JobKind::Facts, move || {
                // The last note counts the lookups: the status line says it.
                let message = notes.last().cloned().unwrap_or_default();
                let session = shared.with_signatures(Some(*facts), notes);
                Event::Rejudged(Box::new(Prepared::new(session)), message)
            })
        }
        Effect::EvaluatePss { version } => {
            let shared = app.audit.as_ref()?.share();
            jobs.start(JobKind::Pss, move || Event::PssEvaluated {
                version,
                rows: super::model::pss_rows(&shared, version),
            })
        }
        Effect::LabStart { task, folder } => {
            let t = app.lab.tasks.get(task)?.clone();
            jobs.start(JobKind::Lab, move || super::lab::start(task, t, folder))
        }
        Effect::LabCheck { task, folder } => {
            let t = app.lab.tasks.get(task)?.clone();
            jobs.start(JobKind::Lab, move || super::lab::check(task, t, folder))
        }
    }
}

/// The document holding the object at `line` of `file`: its first line and its lines.
fn object_text(
    source: &crate::sources::Source,
    file: &str,
    line: u32,
) -> Option<(u32, Vec<String>)> {
    let text = source.text(file)?;
    let docs = yaml::split_documents(&text);
    let doc = docs.iter().rev().find(|d| d.first_line <= line)?;
    Some((
        doc.first_line,
        doc.text.lines().map(str::to_string).collect(),
    ))
}

/// Edits the exemptions file with `edit` (given the path and the session's exemptions), then
/// re-judges with the new list; the previous audit stays on screen meanwhile.
fn triage_job(
    shared: Session,
    path: &Path,
    jobs: &Jobs,
    edit: impl FnOnce(&Path, &[Exemption]) -> Result<(Vec<Exemption>, String), String> + Send + 'static,
) -> Option<Event> {
    let path = path.to_path_buf();
    jobs.start(JobKind::Triage, move || {
        match edit(&path, &shared.triage.exemptions) {
            Ok((list, message)) => {
                let session = shared.with_exemptions(list);
                Event::Rejudged(Box::new(Prepared::new(session)), message)
            }
            Err(e) => Event::Done(Err(e)),
        }
    })
}

fn export(
    report: &crate::engine::Report,
    format: ExportFormat,
    findings: Option<&[usize]>,
    scope: ExportScope,
    dir: &Path,
) -> Result<String, String> {
    let mut report = report.clone();
    if let Some(keep) = findings {
        let keep: std::collections::HashSet<usize> = keep.iter().copied().collect();
        let mut i = 0;
        report.findings.retain(|_| {
            let k = keep.contains(&i);
            i += 1;
            k
        });
        report.source.description = format!(
            "{} ({}, {} findings)",
            report.source.description,
            scope.label(),
            report.findings.len()
        );
    }
    let (path, file) = create_new(dir, &crate::time::file_stamp(), format.extension())?;
    let mut out = std::io::BufWriter::new(file);
    let written = match format {
        ExportFormat::Md => out.write_all(crate::report::markdown::render(&report).as_bytes()),
        ExportFormat::Json => crate::report::json::write(&report, &mut out),
        ExportFormat::Sarif => crate::report::sarif::write(&report, &mut out),
        ExportFormat::Junit => out.write_all(crate::report::junit::render(&report).as_bytes()),
        ExportFormat::Html => out.write_all(crate::report::html::render(&report).as_bytes()),
        ExportFormat::Csv => crate::report::csv::write(&report, &mut out),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "wrote {} ({} findings, {})",
        path.display(),
        report.findings.len(),
        scope.label()
    ))
}

/// A new report file in `dir`: `kaudit-report-<stamp>.<ext>`, else `-2`, `-3`, ... Created
/// with O_EXCL: an existing file is never overwritten and a planted link never followed.
fn create_new(
    dir: &Path,
    stamp: &str,
    extension: &str,
) -> Result<(PathBuf, std::fs::File), String> {
    for n in 1..=100 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let path = dir.join(format!("kaudit-report-{stamp}{suffix}.{extension}"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
        }
    }
    Err(format!(
        "cannot write a report in {}: kaudit-report-{stamp}.{extension} and 99 more names are taken",
        dir.display()
    ))
}

/// Writes the exemptions file: `edited` (the file as it was, with the one change made in
/// place: the user's comments and order kept) when the edit could be made, else the list
/// rendered whole.
fn write_exemptions(path: &Path, edited: Option<String>, list: &[Exemption]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = edited.unwrap_or_else(|| triage::render_exemptions(list));
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The exemptions file's text and entries as they are now (another kaudit may have written
/// it); none when there is no file.
fn current_exemptions(path: &Path) -> Result<Option<(String, Vec<Exemption>)>, String> {
    if !path.exists() {
        return Ok(None);
    }
    crate::session::read_exemptions_text(path)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Reads the file fresh (another kaudit may have written it) and adds the entry.
fn suppress(exemption: Exemption, path: &Path) -> Result<(Vec<Exemption>, String), String> {
    let current = current_exemptions(path)?;
    let edited = current
        .as_ref()
        .and_then(|(text, _)| triage::edit::append(text, &exemption));
    let mut list = current.map(|(_, list)| list).unwrap_or_default();
    let label = format!("{} on {}", exemption.rule, exemption.subject);
    list.push(exemption);
    write_exemptions(path, edited, &list)?;
    Ok((
        list,
        format!(
            "suppressed {label}; written to {} (s again undoes)",
            path.display()
        ),
    ))
}

fn unsuppress(
    f: &crate::findings::Finding,
    path: &Path,
    current: &[Exemption],
) -> Result<(Vec<Exemption>, String), String> {
    let on_disk = current_exemptions(path)?;
    let edited = on_disk
        .as_ref()
        .and_then(|(text, _)| triage::edit::remove(text, |e| triage::exemption_matches(e, f)));
    let mut list = on_disk.map_or_else(|| current.to_vec(), |(_, list)| list);
    let before = list.len();
    list.retain(|e| !triage::exemption_matches(e, f));
    if list.len() == before {
        return Err(format!(
            "no exemption in {} matches {} on {}; it may come from another --exemptions file",
            path.display(),
            f.rule_id,
            f.subject.path()
        ));
    }
    write_exemptions(path, edited, &list)?;
    Ok((
        list,
        format!(
            "{} on {} is no longer suppressed ({} updated)",
            f.rule_id,
            f.subject.path(),
            path.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link planted where the export goes is left alone (and its target untouched); two
    /// exports in the same second get two files.
    #[test]
    fn exports_create_new_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("kaudit-report-20261203-101010.md"))
            .unwrap();
        let (first, _) = create_new(dir.path(), "20261203-101010", "md").unwrap();
        let (second, _) = create_new(dir.path(), "20261203-101010", "md").unwrap();
        assert_eq!(first, dir.path().join("kaudit-report-20261203-101010-2.md"));
        assert_eq!(
            second,
            dir.path().join("kaudit-report-20261203-101010-3.md")
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
