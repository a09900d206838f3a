//! `kaudit scan` (and `kaudit demo` off a terminal): audit a source and write a report.

use super::options::AuditArgs;
use super::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, Format, ScanArgs};
use crate::report::{self, Report};
use crate::sanitize::strip_controls;
use crate::session::history;
use crate::sources::Source;
use std::io::Write;

pub fn run(source: &Source, audit: &AuditArgs, args: &ScanArgs) -> anyhow::Result<u8> {
    let started = crate::time::now_rfc3339();
    let mut options = audit.session_options();
    options.history.baseline = args.baseline.clone();
    let mut report = crate::session::report(source, &options)?;
    history::record(
        &mut report,
        &options.history,
        &started,
        &crate::time::now_rfc3339(),
    )?;
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write_report(&report, args.format, &mut out)
                .and_then(|()| out.flush())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            eprint!("{}", report::text::summary(&report));
            eprintln!("report written to {}", path.display());
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = write_report(&report, args.format, &mut out).and_then(|()| out.flush());
        }
    }
    for e in report.input_errors.iter().take(20) {
        eprintln!("kaudit: could not read {}", strip_controls(&e.to_string()));
    }
    for note in report
        .source
        .notes
        .iter()
        .filter(|n| n.starts_with("audit "))
    {
        eprintln!("kaudit: {}", strip_controls(note));
    }
    // A throwaway run has no history to speak of.
    let compared = options.history.store.is_some() || options.history.baseline.is_some();
    if let Some(changes) = report.changes.as_ref().filter(|_| compared) {
        eprintln!("{}", report::text::changes_line(changes));
    }
    // --fail-on-new alone breaks on any new finding.
    let threshold = args
        .fail_on
        .or(args.fail_on_new.then_some(crate::severity::Severity::Info));
    if let Some(threshold) = threshold {
        let failing = match (&report.changes, args.fail_on_new) {
            (Some(changes), true) => changes.new_at_or_above(&report.findings, threshold),
            _ => report.count_at_or_above(threshold),
        };
        if failing > 0 {
            return Ok(EXIT_FINDINGS);
        }
    }
    if args.fail_on_incomplete && report.is_incomplete() {
        return Ok(EXIT_INCOMPLETE);
    }
    Ok(EXIT_OK)
}

fn write_report(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Md => out.write_all(report::markdown::render(report).as_bytes()),
        Format::Json => report::json::write(report, out),
        Format::Sarif => report::sarif::write(report, out),
        Format::Junit => out.write_all(report::junit::render(report).as_bytes()),
        Format::Html => out.write_all(report::html::render(report).as_bytes()),
        Format::Csv => report::csv::write(report, out),
    }
}
