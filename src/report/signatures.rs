//! The reports' "Signatures by image": each verified image's status and why; the findings
//! (SIG001-SIG004) say where each runs and which policy covers it. Also what the tabular
//! formats (JUnit, CSV) share: one entry per image, verdict or not looked up.

use super::Report;
use crate::engine::ImageSignatures;
use crate::sanitize::{html as h, md, md_code};
use crate::signatures::Status;
use std::fmt::Write;

/// What a verdict means to a CI gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Unverified, invalid or unsigned: what SIG001/SIG003 may stop on.
    Fail,
    /// The registry could not be asked: nothing is known, which is not a failure of the image.
    Error,
    /// Not looked up: not evaluated, never "unsigned".
    Skipped,
}

/// One image in the tabular formats: its verdict, or `None` when it was not looked up.
pub struct Entry<'a> {
    pub image: &'a str,
    pub verdict: Option<&'a ImageSignatures>,
}

impl Entry<'_> {
    pub fn outcome(&self) -> Outcome {
        match self.verdict.map(|v| v.verdict.status) {
            None => Outcome::Skipped,
            Some(Status::Verified) => Outcome::Pass,
            Some(Status::Error) => Outcome::Error,
            Some(_) => Outcome::Fail,
        }
    }

    /// `verified`, `unsigned`... or `not checked`.
    pub fn status(&self) -> &'static str {
        self.verdict
            .map_or("not checked", |v| v.verdict.status.as_str())
    }

    /// The reason, then each signature and attestation, in sentences (unsanitized: each
    /// format escapes it its own way).
    pub fn details(&self) -> String {
        let Some(v) = self.verdict else {
            return "its signatures were not looked up".into();
        };
        let mut out = v.verdict.reason.clone();
        for s in &v.verdict.signatures {
            let _ = write!(out, "; signature: {}", s.describe(&v.verdict.reason));
        }
        for a in &v.verdict.attestations {
            let _ = write!(out, "; attestation: {}", a.describe());
        }
        for w in &v.verdict.warnings {
            let _ = write!(out, "; warning: {w}");
        }
        out
    }
}

/// Every verdict, then every running image that was not looked up; nothing when signatures
/// were not verified at all.
pub fn entries(r: &Report) -> Vec<Entry<'_>> {
    let Some(summary) = &r.signatures else {
        return Vec::new();
    };
    summary
        .images
        .iter()
        .map(|v| Entry {
            image: &v.verdict.image,
            verdict: Some(v),
        })
        .chain(summary.unchecked.iter().map(|image| Entry {
            image,
            verdict: None,
        }))
        .collect()
}

pub fn markdown(out: &mut String, r: &Report) {
    let Some(summary) = &r.signatures else {
        return;
    };
    let _ = writeln!(out, "## Signatures by image\n");
    let _ = writeln!(out, "From {}.\n", md(&summary.source));
    if summary.images.is_empty() && summary.unchecked.is_empty() {
        let _ = writeln!(out, "No image runs.\n");
        return;
    }
    if !summary.images.is_empty() {
        let _ = writeln!(out, "| Image | Status | Why | Attestations |");
        let _ = writeln!(out, "|---|---|---|---|");
    }
    for v in summary.images.iter().map(|i| &i.verdict) {
        let attestations: Vec<String> = v
            .attestations
            .iter()
            .map(|a| md(&format!("{} ({})", a.kind, a.reason)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_code(&v.image),
            if v.status == Status::Verified {
                "verified".to_string()
            } else {
                format!("**{}**", v.status.as_str())
            },
            md(&v.reason),
            if attestations.is_empty() {
                "-".to_string()
            } else {
                attestations.join("; ")
            }
        );
    }
    let _ = writeln!(out);
    if !summary.unchecked.is_empty() {
        let names: Vec<String> = summary.unchecked.iter().map(|i| md_code(i)).collect();
        let _ = writeln!(
            out,
            "Not checked (no verdict for these images): {}.\n",
            names.join(", ")
        );
    }
}

pub fn html(out: &mut String, r: &Report) {
    let Some(summary) = &r.signatures else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2>Signatures by image</h2><p>From {}.</p><table><tr><th>Image</th><th>Status</th><th>Why</th><th>Attestations</th></tr>",
        h(&summary.source)
    );
    for v in summary.images.iter().map(|i| &i.verdict) {
        let attestations: Vec<String> = v
            .attestations
            .iter()
            .map(|a| h(&format!("{} ({})", a.kind, a.reason)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            h(&v.image),
            if v.status == Status::Verified {
                "low"
            } else {
                "high"
            },
            v.status.as_str(),
            h(&v.reason),
            attestations.join("; ")
        );
    }
    let _ = writeln!(out, "</table>");
    if !summary.unchecked.is_empty() {
        let names: Vec<String> = summary
            .unchecked
            .iter()
            .map(|i| format!("<code>{}</code>", h(i)))
            .collect();
        let _ = writeln!(
            out,
            "<p>Not checked (no verdict for these images): {}.</p>",
            names.join(", ")
        );
    }
}
