//! `kaudit image verify`'s text: one block per image, its status first.

use crate::sanitize::strip_controls;
use crate::signatures::Verdict;
use std::fmt::Write;

pub fn text(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for v in verdicts {
        let digest = match (&v.digest, &v.platform_digest) {
            (Some(d), Some(p)) => format!(" ({d}; platform image {p})"),
            (Some(d), None) => format!(" ({d})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<10} {}{}",
            v.status.as_str().to_uppercase(),
            strip_controls(&v.image),
            strip_controls(&digest)
        );
        let _ = writeln!(out, "           {}", strip_controls(&v.reason));
        for s in &v.signatures {
            let _ = writeln!(
                out,
                "  signature on {}: {} - {}",
                short(&s.digest),
                s.status.as_str(),
                strip_controls(&s.reason)
            );
        }
        for a in &v.attestations {
            let mut about = a.kind.to_string();
            if !a.statement.builder_id.is_empty() {
                about.push_str(&format!(", built by {}", a.statement.builder_id));
            }
            if !a.statement.source.is_empty() {
                about.push_str(&format!(" from {}", a.statement.source));
            }
            let _ = writeln!(
                out,
                "  attestation ({}): {} - {}",
                strip_controls(&a.statement.predicate_type),
                strip_controls(&about),
                strip_controls(&a.reason)
            );
        }
        for w in &v.warnings {
            let _ = writeln!(out, "  warning: {}", strip_controls(w));
        }
    }
    out
}

/// `sha256:0123456789ab`: enough to tell an index from its platform image.
fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}
