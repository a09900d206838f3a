//! `kaudit image scan` written out: plain text, Markdown, SARIF 2.1.0 (one rule per
//! vulnerability id, one result per vulnerable package, located at the package database).

use crate::sanitize::{md, strip_controls};
use crate::vuln::ImageScan;
use serde_json::{Value, json};
use std::fmt::Write;

pub fn text(scan: &ImageScan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{}{}",
        strip_controls(&scan.artifact),
        scan.digest
            .as_deref()
            .map(|d| format!(" ({})", strip_controls(d)))
            .unwrap_or_default(),
        if scan.cached {
            ": packages from kaudit's cache"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "{}: {} packages{}, {} vulnerabilities ({} with a fix){}",
        if scan.os.family.is_empty() {
            "no OS".to_string()
        } else {
            strip_controls(&format!("{} {}", scan.os.family, scan.os.release)).into_owned()
        },
        scan.packages,
        if scan.language_packages > 0 {
            format!(" and {} language packages", scan.language_packages)
        } else {
            String::new()
        },
        scan.vulnerabilities.len(),
        fixable(scan),
        eol_words(scan)
    );
    for note in &scan.notes {
        let _ = writeln!(out, "note: {}", strip_controls(note));
    }
    for v in &scan.vulnerabilities {
        let fix = v.fix_words();
        let _ = writeln!(
            out,
            "{:<8} {:<16} {} {}: {}  {}",
            v.severity,
            strip_controls(&v.id),
            strip_controls(&v.package),
            strip_controls(&v.installed_version),
            strip_controls(&fix),
            strip_controls(&v.title)
        );
    }
    out
}

fn fixable(scan: &ImageScan) -> usize {
    scan.vulnerabilities
        .iter()
        .filter(|v| !v.fixed_version.is_empty())
        .count()
}

fn eol_words(scan: &ImageScan) -> &'static str {
    match scan.os.eosl {
        Some(true) => "; the OS release is past its end of life",
        _ => "",
    }
}

pub fn markdown(scan: &ImageScan) -> String {
    let mut out = String::from("# kaudit image scan\n\n");
    let _ = writeln!(
        out,
        "**Image:** {} · **OS:** {} {} · **packages:** {} · **database:** {} (updated {})\n",
        md(&scan.artifact),
        md(&scan.os.family),
        md(&scan.os.release),
        scan.packages,
        md(&scan.database.path),
        scan.database
            .updated_at
            .as_deref()
            .map_or("unknown".into(), md)
    );
    if scan.os.eosl == Some(true) {
        let _ = writeln!(
            out,
            "> **The OS release is past its end of life:** it gets no more security fixes.\n"
        );
    }
    for note in &scan.notes {
        let _ = writeln!(out, "> **Note:** {}\n", md(note));
    }
    let _ = writeln!(
        out,
        "**{} vulnerabilities**, {} with a fix.\n",
        scan.vulnerabilities.len(),
        fixable(scan)
    );
    if scan.vulnerabilities.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "| Severity | Vulnerability | Package | Source | Installed | Fixed in | Title |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for v in &scan.vulnerabilities {
        let _ = writeln!(out, "{}", super::vulnerabilities::markdown_row(v, true));
    }
    out
}

/// SARIF 2.1.0: each vulnerability id a rule (with its CVSS-like `security-severity`), each
/// vulnerable package a result at the package database file.
pub fn sarif(scan: &ImageScan) -> Value {
    use super::sarif_vulnerabilities::{catalog, package_location, result};
    let (ids, rules) = catalog(scan.vulnerabilities.iter());
    let results: Vec<Value> = scan
        .vulnerabilities
        .iter()
        .map(|v| {
            let location = json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": scan.package_database()},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [package_location(v)],
            });
            result(v, &ids, 0, location)
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": super::sarif::INFO_URI,
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
