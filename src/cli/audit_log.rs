//! `kaudit audit-log`: audit logs (and an audit policy) alone, no cluster; with `--follow`,
//! new findings as their events are written.

use super::options::AuditArgs;
use super::{AuditFormat, AuditLogArgs, EXIT_FINDINGS, EXIT_OK};
use crate::auditlog::follow::Follower;
use crate::findings::Finding;
use crate::report;
use crate::sanitize::strip_controls;
use crate::session::SessionOptions;
use std::io::Write;

pub fn run(args: &AuditLogArgs) -> anyhow::Result<u8> {
    let audit = AuditArgs {
        store: args.store.clone(),
        filters: args.filters.clone(),
        exemptions: args.exemptions.clone(),
        ..AuditArgs::default()
    };
    audit.check()?;
    let mut options = audit.session_options();
    options.audit_logs.extend(args.paths.iter().cloned());
    if args.policy.is_some() {
        options.audit_policy = args.policy.clone();
    }
    // `--demo`: the demo's own audit log and policy.
    let embedded = args.demo.then_some(crate::sources::Source::Demo);
    if options.audit_logs.is_empty() && options.audit_policy.is_none() && embedded.is_none() {
        anyhow::bail!(
            "give audit log files, folders or globs (or --policy FILE to lint an audit policy, or --demo for the demo's log)"
        );
    }
    if options.follow && embedded.is_some() {
        anyhow::bail!("--follow follows files; the demo's log is embedded in kaudit");
    }
    if options.follow {
        return follow(&options);
    }
    let report = crate::session::audit_log_only(&options, embedded.as_ref())?;
    // JSON is streamed: a log with tens of thousands of findings must not need its whole
    // report in memory twice.
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match args.format {
            AuditFormat::Md => out.write_all(report::markdown::render(&report).as_bytes()),
            AuditFormat::Json => report::json::write(&report, out),
            AuditFormat::Text => out.write_all(report::text::audit_log(&report).as_bytes()),
        }?;
        out.flush()
    };
    match &args.output {
        Some(path) => std::fs::File::create(path)
            .and_then(|file| write(&mut std::io::BufWriter::new(file)))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
        None => {
            let _ = write(&mut std::io::BufWriter::new(std::io::stdout().lock()));
        }
    }
    if let Some(stats) = &report.audit_log
        && stats.events == 0
        && stats.malformed + stats.not_events > 0
    {
        match &args.output {
            Some(path) => anyhow::bail!(
                "no audit event could be read (the problems are listed in {})",
                path.display()
            ),
            None => anyhow::bail!("no audit event could be read (see the problems above)"),
        }
    }
    Ok(match args.fail_on {
        Some(threshold) if report.count_at_or_above(threshold) > 0 => EXIT_FINDINGS,
        _ => EXIT_OK,
    })
}

/// `kaudit audit-log --follow`: the findings so far, then each new one as its event is
/// written, like `tail -f` with detections. Ctrl-C ends it.
fn follow(options: &SessionOptions) -> anyhow::Result<u8> {
    let mut follower = Follower::start(
        &options.audit_logs,
        &options.window,
        options.audit_config.clone(),
    );
    let followed: Vec<String> = follower
        .followed()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if followed.is_empty() {
        anyhow::bail!(
            "--follow needs an active log file (a plain file without a rotation time stamp)"
        );
    }
    eprintln!(
        "kaudit: following {} (Ctrl-C ends)",
        strip_controls(&followed.join(", "))
    );
    let mut printed = std::collections::HashSet::new();
    let mut problems_shown = 0;
    let mut out = std::io::stdout();
    loop {
        let analysis = follower.snapshot();
        let mut fresh: Vec<&Finding> = analysis
            .findings
            .findings
            .iter()
            .filter(|f| printed.insert(f.id))
            .collect();
        fresh.sort_by(|a, b| {
            let t = |f: &Finding| f.subject.event.as_ref().map(|e| e.timestamp.clone());
            t(a).cmp(&t(b))
        });
        for f in fresh {
            if out
                .write_all(report::text::finding_line(f).as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return Ok(EXIT_OK); // the reader went away (`| head`)
            }
        }
        // Unreadable lines go to standard error as they are met.
        for p in analysis.stats.problems.iter().skip(problems_shown) {
            let place = p.line.map_or(String::new(), |l| format!(":{l}"));
            eprintln!(
                "kaudit: {}{place}: {}",
                strip_controls(&p.file),
                strip_controls(&p.message)
            );
        }
        problems_shown = analysis.stats.problems.len();
        std::thread::sleep(std::time::Duration::from_millis(500));
        follower.poll();
    }
}
