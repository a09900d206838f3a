//! The images' vulnerabilities an audit knows: kaudit's own scan of the images from their
//! registries (`--scan-images`), the trivy-operator's reports in the cluster, Trivy's JSON
//! reports the user gives (`--trivy-report`), and for the demo its own database matched
//! against its images' package lists. What cannot be read becomes a note; the audit goes on.

use crate::sources::Source;
use crate::vuln::facts::{ImageFacts, ImageVulnerabilities};
use crate::vuln::{Os, Package, eol, fixture, matcher, trivy_report, trivydb::TrivyDb};
use std::path::{Path, PathBuf};

/// Facts from `reports`, the operator's reports in the inventory and the source's own data;
/// `None` when there are none at all (the VUL rules then say what input they need).
pub fn gather(
    source: &Source,
    inventory: &crate::inventory::Inventory,
    reports: &[PathBuf],
    image_scan: Option<&super::image_scan::ClusterScan>,
    today: &str,
    notes: &mut Vec<String>,
) -> Option<ImageFacts> {
    let mut facts = None;
    if let Some(options) = image_scan {
        let pulls = super::image_scan::pulls(inventory);
        match super::image_scan::scan_cluster(&pulls, options, &|_, _| {}) {
            Ok((scanned, scan_notes)) => {
                notes.extend(scan_notes);
                facts = Some(scanned);
            }
            Err(e) => notes.push(format!("the images were not scanned: {e}")),
        }
    }
    if !inventory.scanner_reports.is_empty() {
        let facts = facts.get_or_insert_with(|| {
            ImageFacts::new(format!(
                "the cluster's trivy-operator reports ({})",
                inventory.scanner_reports.len()
            ))
        });
        let mut unreadable = 0;
        for report in &inventory.scanner_reports {
            match crate::vuln::operator_report::parse(&report.value) {
                Some((reference, digests, known)) => facts.insert(&reference, &digests, known),
                None => unreadable += 1,
            }
        }
        if unreadable > 0 {
            notes.push(format!(
                "{unreadable} VulnerabilityReports name no image and were not used"
            ));
        }
    }
    if matches!(source, Source::Demo) {
        match demo(today) {
            Ok(demo) => facts = Some(demo),
            Err(e) => notes.push(format!("the demo's vulnerability database: {e}")),
        }
    }
    if !reports.is_empty() {
        let facts = facts.get_or_insert_with(|| {
            ImageFacts::new(format!("the Trivy reports given ({})", reports.len()))
        });
        for path in reports {
            if let Err(e) = add_report(facts, path) {
                notes.push(format!("--trivy-report {}: {e}", path.display()));
            }
        }
    }
    facts
}

fn add_report(facts: &mut ImageFacts, path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, trivy_report::MAX_REPORT_BYTES as u64 + 1),
        &mut bytes,
    )
    .map_err(|e| e.to_string())?;
    let report = trivy_report::parse(&bytes).map_err(|e| e.to_string())?;
    facts.insert(
        &report.artifact,
        &report.digests,
        ImageVulnerabilities {
            eosl: report.os.as_ref().map(|_| report.eosl),
            os: report.os,
            vulnerabilities: report.vulnerabilities,
            source: format!("Trivy report {}", path.display()),
        },
    );
    Ok(())
}

#[derive(serde::Deserialize)]
struct DemoImages {
    images: Vec<DemoImage>,
}

#[derive(serde::Deserialize)]
struct DemoImage {
    image: String,
    os: Option<DemoOs>,
    packages: Vec<Package>,
}

#[derive(serde::Deserialize)]
struct DemoOs {
    family: String,
    release: String,
}

/// The demo's database written into a fresh private folder, opened, matched against every
/// demo image's packages, then removed.
fn demo(today: &str) -> Result<ImageFacts, String> {
    let images: DemoImages = serde_json::from_str(crate::sources::demo::vulnerable_images())
        .map_err(|e| e.to_string())?;
    let dir = private_dir()?;
    let result = (|| {
        let path = fixture::build(&dir, &[crate::sources::demo::vulnerability_db()])
            .map_err(|e| e.to_string())?;
        let db = TrivyDb::open(&path).map_err(|e| e.to_string())?;
        let mut facts = ImageFacts::new("the demo's vulnerability database");
        for image in images.images {
            let os = image.os.map(|o| Os {
                family: o.family,
                release: o.release,
                repository: None,
            });
            let vulnerabilities = match &os {
                Some(os) => {
                    matcher::matches(&db, os, &image.packages).map_err(|e| e.to_string())?
                }
                None => Vec::new(),
            };
            facts.insert(
                &image.image,
                &[],
                ImageVulnerabilities {
                    eosl: os.as_ref().and_then(|os| eol::is_past(os, today)),
                    os,
                    vulnerabilities,
                    source: "the demo's vulnerability database".into(),
                },
            );
        }
        Ok(facts)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A new folder only this process uses (created, never reused: a planted one fails).
fn private_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("kaudit-demo-db-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
