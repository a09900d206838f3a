//! `kaudit image scan`: one image's known vulnerabilities.

use super::{AuditArgs, EXIT_FINDINGS, EXIT_OK, ImageScanArgs, TextOrJson};
use crate::sanitize::strip_controls;
use crate::vuln::{Vulnerability, locate, matcher, rootfs, severity, trivydb::TrivyDb};
use std::io::Write;

pub fn scan(audit: &AuditArgs, args: &ImageScanArgs) -> anyhow::Result<u8> {
    let cache = audit
        .data_dir
        .clone()
        .or_else(super::data_dir)
        .map(|d| d.join("cache"));
    let db_path =
        locate::find(args.trivy_db.as_deref(), cache.as_deref()).map_err(anyhow::Error::msg)?;
    let db = TrivyDb::open(&db_path)?;
    let contents = rootfs::read(&args.rootfs)?;
    let os = contents.os.clone();
    let supported = matcher::family(&os).is_some();
    let mut found = matcher::matches(&db, &os, &contents.packages)?;
    found.sort_by(|a, b| {
        rank(b.severity)
            .cmp(&rank(a.severity))
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut notes = contents.notes.clone();
    if !supported {
        notes.push(format!(
            "{} {}: kaudit does not match this OS family yet; its packages are not evaluated",
            os.family, os.release
        ));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            let report = serde_json::json!({
                "artifact": args.rootfs.display().to_string(),
                "os": {
                    "family": os.family,
                    "release": os.release,
                    "eosl": crate::vuln::eol::is_past(&os, &crate::time::today()),
                },
                "evaluated": supported,
                "packages": contents.packages.len(),
                "database": {
                    "path": db_path.display().to_string(),
                    "updated_at": db.metadata.as_ref().map(|m| m.updated_at.clone()),
                    "next_update": db.metadata.as_ref().map(|m| m.next_update.clone()),
                },
                "notes": notes,
                "vulnerabilities": found,
            });
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        TextOrJson::Text => text(&mut out, &os, contents.packages.len(), &found, &notes)?,
    }
    if let Some(threshold) = args.fail_on
        && found.iter().any(|v| severity(v.severity) >= threshold)
    {
        return Ok(EXIT_FINDINGS);
    }
    Ok(EXIT_OK)
}

fn rank(name: &str) -> u8 {
    severity(name) as u8
}

fn text(
    out: &mut dyn Write,
    os: &crate::vuln::Os,
    packages: usize,
    found: &[Vulnerability],
    notes: &[String],
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} {}: {} packages, {} vulnerabilities ({} with a fix)",
        strip_controls(&os.family),
        strip_controls(&os.release),
        packages,
        found.len(),
        found.iter().filter(|v| !v.fixed_version.is_empty()).count()
    )?;
    for note in notes {
        writeln!(out, "note: {}", strip_controls(note))?;
    }
    for v in found {
        let fix = if v.fixed_version.is_empty() {
            format!("no fix ({})", v.status)
        } else {
            format!("fixed in {}", strip_controls(&v.fixed_version))
        };
        writeln!(
            out,
            "{:<8} {:<16} {} {}: {}  {}",
            v.severity,
            strip_controls(&v.id),
            strip_controls(&v.package),
            strip_controls(&v.installed_version),
            fix,
            strip_controls(&v.title)
        )?;
    }
    Ok(())
}
