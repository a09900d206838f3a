//! `kaudit image scan`: one image's known vulnerabilities.

use super::{AuditArgs, EXIT_FINDINGS, EXIT_OK, ImageFormat, ImageScanArgs};
use crate::report::image_scan;
use crate::vuln::{
    ImageScan, ScannedOs, ScannedWith, eol, locate, matcher, rootfs, severity, trivydb::TrivyDb,
};
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
    let evaluated = matcher::family(&os).is_some();
    let mut found = matcher::matches(&db, &os, &contents.packages)?;
    found.sort_by(|a, b| {
        severity(b.severity)
            .cmp(&severity(a.severity))
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut notes = contents.notes.clone();
    if !evaluated {
        notes.push(format!(
            "{} {}: kaudit does not match this OS family yet; its packages are not evaluated",
            os.family, os.release
        ));
    }
    let scan = ImageScan {
        artifact: args.rootfs.display().to_string(),
        os: ScannedOs {
            eosl: eol::is_past(&os, &crate::time::today()),
            family: os.family,
            release: os.release,
        },
        evaluated,
        packages: contents.packages.len(),
        database: ScannedWith {
            path: db_path.display().to_string(),
            updated_at: db.metadata.as_ref().map(|m| m.updated_at.clone()),
            next_update: db.metadata.as_ref().map(|m| m.next_update.clone()),
        },
        notes,
        vulnerabilities: found,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ImageFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &scan)?;
            writeln!(out)?;
        }
        ImageFormat::Text => out.write_all(image_scan::text(&scan).as_bytes())?,
        ImageFormat::Md => out.write_all(image_scan::markdown(&scan).as_bytes())?,
        ImageFormat::Sarif => {
            serde_json::to_writer_pretty(&mut out, &image_scan::sarif(&scan))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let Some(threshold) = args.fail_on
        && scan
            .vulnerabilities
            .iter()
            .any(|v| severity(v.severity) >= threshold)
    {
        return Ok(EXIT_FINDINGS);
    }
    Ok(EXIT_OK)
}
