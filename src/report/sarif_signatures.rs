//! Signature verdicts in SARIF: a rule per failing status (invalid, unverified, unsigned) and
//! a result per image with one of them, located where the image first runs and
//! fingerprinted by the image, so code scanning closes the alert once the image verifies.
//! An image whose registry could not be asked is a notification (nothing is known of it, as
//! for a rule not evaluated); the run's properties record every image's status, verified and
//! not looked up included.

use super::Report;
use crate::engine::ImageSignatures;
use crate::sanitize::strip_controls;
use crate::severity::Severity;
use crate::signatures::Status;
use serde_json::{Value, json};

/// The failing statuses: rule id, title, severity.
static FAILING: [Failing; 3] = [
    (
        Status::Invalid,
        "signature/invalid",
        "A trusted key signed another image or a malformed payload",
        Severity::High,
    ),
    (
        Status::Unverified,
        "signature/unverified",
        "The image is signed, but no trusted key verifies a signature",
        Severity::Medium,
    ),
    (
        Status::Unsigned,
        "signature/unsigned",
        "The image has no signature",
        Severity::Medium,
    ),
];

/// The rules, when signatures were verified (their order gives `ruleIndex`).
pub fn rules(report: &Report) -> Vec<Value> {
    if report.signatures.is_none() {
        return Vec::new();
    }
    FAILING
        .iter()
        .map(|(status, id, title, severity)| {
            json!({
                "id": id,
                "name": format!("ImageSignature{}", capitalized(status.as_str())),
                "shortDescription": {"text": title},
                "defaultConfiguration": {"level": super::sarif::level(*severity)},
                "properties": {
                    "security-severity": severity.security_severity(),
                    "tags": ["security", "supply-chain", "signatures"],
                },
            })
        })
        .collect()
}

fn clean_all(texts: impl Iterator<Item = String>) -> Vec<String> {
    texts.map(|t| strip_controls(&t).into_owned()).collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The failing verdict of an image that runs, with its rule's place among `rules`.
type Failing = (Status, &'static str, &'static str, Severity);

fn failing(v: &ImageSignatures) -> Option<(usize, &'static Failing)> {
    v.location.as_ref()?;
    FAILING
        .iter()
        .enumerate()
        .find(|(_, (status, ..))| *status == v.verdict.status)
}

/// Every verdict; none when signatures were not verified.
fn verdicts(report: &Report) -> &[ImageSignatures] {
    report.signatures.as_ref().map_or(&[], |s| &s.images)
}

/// A result per failing verdict; `rule_offset` is where [`rules`] start in the run's rules,
/// `physical` turns a location into SARIF's.
pub fn results(
    report: &Report,
    rule_offset: usize,
    physical: impl Fn(&crate::findings::Location) -> Value,
) -> Vec<Value> {
    verdicts(report)
        .iter()
        .filter_map(|v| {
            let (index, (status, id, _, severity)) = failing(v)?;
            let verdict = &v.verdict;
            let location = v.location.as_ref()?;
            let mut result = json!({
                "ruleId": id,
                "ruleIndex": rule_offset + index,
                "level": super::sarif::level(*severity),
                "message": {"text": strip_controls(&format!(
                    "{} is {}: {}", verdict.image, status.as_str(), verdict.reason
                ))},
                "locations": [{
                    "physicalLocation": physical(location),
                    "logicalLocations": [
                        {"fullyQualifiedName": strip_controls(&verdict.image), "kind": "resource"},
                    ],
                }],
                "partialFingerprints": {"kauditSignature/v1": strip_controls(&verdict.image)},
                "properties": {
                    "security-severity": severity.security_severity(),
                    "area": "signatures",
                    "status": status.as_str(),
                    "workloads": clean_all(v.workloads.iter().cloned()),
                    "signatures": clean_all(verdict.signatures.iter().map(|s| s.describe(&verdict.reason))),
                    "attestations": clean_all(verdict.attestations.iter().map(|a| a.describe())),
                },
            });
            if let Some(digest) = &verdict.digest {
                result["properties"]["digest"] = strip_controls(digest).into();
            }
            Some(result)
        })
        .collect()
}

/// Notifications: images whose registry could not be asked, and failing verdicts of images
/// no audited container runs (a result needs a place).
pub fn notifications(report: &Report) -> Vec<(&'static str, String)> {
    verdicts(report)
        .iter()
        .filter_map(|v| {
            let verdict = &v.verdict;
            let text = |what: &str| {
                strip_controls(&format!(
                    "signatures of {} {what}: {}",
                    verdict.image, verdict.reason
                ))
                .into_owned()
            };
            match verdict.status {
                Status::Error => Some(("warning", text("not verified"))),
                Status::Verified => None,
                status if failing(v).is_none() => Some((
                    "note",
                    text(&format!(
                        "{} (no audited container runs it)",
                        status.as_str()
                    )),
                )),
                _ => None,
            }
        })
        .collect()
}

/// The run's record of every image's status (`verified` ones and those not looked up have
/// no result).
pub fn properties(report: &Report) -> Option<Value> {
    let summary = report.signatures.as_ref()?;
    let images: Vec<Value> = super::signatures::entries(report)
        .iter()
        .map(|e| json!({"image": strip_controls(e.image), "status": e.status()}))
        .collect();
    Some(json!({
        "signatures": {
            "source": strip_controls(&summary.source),
            "images": images,
        }
    }))
}
