//! The reports' "Signatures by image": each verified image's status and why; the findings
//! (SIG001-SIG004) say where each runs and which policy covers it.

use super::Report;
use crate::sanitize::{html as h, md, md_code};
use std::fmt::Write;

pub fn markdown(out: &mut String, r: &Report) {
    let Some(summary) = &r.signatures else {
        return;
    };
    let _ = writeln!(out, "## Signatures by image\n");
    let _ = writeln!(out, "From {}.\n", md(&summary.source));
    if summary.images.is_empty() {
        let _ = writeln!(out, "No image runs.\n");
        return;
    }
    let _ = writeln!(out, "| Image | Status | Why | Attestations |");
    let _ = writeln!(out, "|---|---|---|---|");
    for v in &summary.images {
        let attestations: Vec<String> = v
            .attestations
            .iter()
            .map(|a| md(&format!("{} ({})", a.kind, a.reason)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_code(&v.image),
            if v.status == crate::signatures::Status::Verified {
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
    for v in &summary.images {
        let attestations: Vec<String> = v
            .attestations
            .iter()
            .map(|a| h(&format!("{} ({})", a.kind, a.reason)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            h(&v.image),
            if v.status == crate::signatures::Status::Verified {
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
}
