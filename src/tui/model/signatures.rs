//! What the TUI shows of the images' signatures: each image's verdict (the Images view's
//! columns, the image page) and the Signatures view's text (per image with why, per
//! namespace which images an admission policy enforces), built once per audit with every
//! string from the cluster or a registry sanitized.

use crate::sanitize::strip_controls;
use crate::session::Session;
use crate::severity::Area;
use crate::signatures::admission::{self, Action};
use crate::signatures::{Status, Verdict};
use crate::tui::text::{TextLine, Tone};
use std::collections::{BTreeMap, BTreeSet};

fn clean(s: &str) -> String {
    strip_controls(s).into_owned()
}

/// One image's verdict, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSignature {
    pub status: Status,
    pub reason: String,
    /// `provenance+SBOM`, `-`.
    pub attestation_kinds: String,
    /// Each signature: format, key, verified or why not.
    pub signatures: Vec<String>,
    /// Each attestation: its kind and who signed it, then its SLSA builder and source
    /// repository (empty when it names none).
    pub attestations: Vec<(String, String, String)>,
    pub warnings: Vec<String>,
}

impl ImageSignature {
    pub fn new(v: &Verdict) -> ImageSignature {
        ImageSignature {
            status: v.status,
            reason: clean(&v.reason),
            attestation_kinds: clean(&v.attestation_kinds()),
            signatures: v
                .signatures
                .iter()
                .map(|s| clean(&s.describe(&v.reason)))
                .collect(),
            attestations: v
                .attestations
                .iter()
                .map(|a| {
                    (
                        clean(&format!("{}: {}", a.kind, a.reason)),
                        clean(&a.statement.builder_id),
                        clean(&a.statement.source),
                    )
                })
                .collect(),
            warnings: v.warnings.iter().map(|w| clean(w)).collect(),
        }
    }

    /// The reason, then each signature, attestation and warning, as lines under a lead of
    /// `indent` spaces.
    pub fn lines(&self, indent: usize) -> Vec<TextLine> {
        let pad = " ".repeat(indent);
        let mut out = vec![TextLine::led(
            pad.clone(),
            Tone::Plain,
            &self.reason,
            Tone::Dim,
        )];
        let item = |text: String| TextLine::led(pad.clone(), Tone::Plain, text, Tone::Plain);
        out.extend(
            self.signatures
                .iter()
                .map(|s| item(format!("signature: {s}"))),
        );
        for (about, builder, source) in &self.attestations {
            out.push(item(format!("attestation: {about}")));
            // Under the attestation, where the lines are long URLs.
            let under = format!("{pad}  ");
            for (label, value) in [("built by ", builder), ("source ", source)] {
                if !value.is_empty() {
                    out.push(TextLine::led(
                        under.clone(),
                        Tone::Plain,
                        format!("{label}{value}"),
                        Tone::Dim,
                    ));
                }
            }
        }
        out.extend(self.warnings.iter().map(|w| item(format!("warning: {w}"))));
        out
    }
}

/// The tone of a status word: never the only signal, the word is always there.
pub fn tone(status: Status) -> Tone {
    match status {
        Status::Verified => Tone::Good,
        Status::Error => Tone::Dim,
        _ => Tone::Bad,
    }
}

/// How the images of one namespace stand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NamespaceTally {
    images: BTreeSet<String>,
    verified: usize,
    failing: usize,
    unknown: usize,
    enforced: usize,
    audit_only: usize,
    uncovered: usize,
}

/// The Signatures view's text; empty when signatures were not verified.
pub fn document(audit: &Session) -> Vec<TextLine> {
    let Some(summary) = &audit.report.signatures else {
        return Vec::new();
    };
    let mut out = vec![TextLine::new(
        format!("From {}.", clean(&summary.source)),
        Tone::Plain,
    )];
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for v in &summary.images {
        *counts.entry(v.verdict.status).or_default() += 1;
    }
    let counted: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    out.push(TextLine::new(
        format!(
            "{} images looked up ({}); {} running images not looked up.",
            summary.images.len(),
            counted.join(", "),
            summary.unchecked.len()
        ),
        Tone::Plain,
    ));
    out.push(TextLine::blank());
    out.push(TextLine::new(
        "Images: the verdict, why, each signature and attestation",
        Tone::Header,
    ));
    const LEAD: usize = 12;
    for v in &summary.images {
        let sig = ImageSignature::new(&v.verdict);
        out.push(TextLine::led(
            format!("{:<LEAD$}", v.verdict.status.as_str()),
            tone(v.verdict.status),
            clean(&v.verdict.image),
            Tone::Plain,
        ));
        out.extend(sig.lines(LEAD));
        if !v.workloads.is_empty() {
            out.push(TextLine::led(
                " ".repeat(LEAD),
                Tone::Plain,
                format!("runs in {}", clean(&v.workloads.join(", "))),
                Tone::Dim,
            ));
        }
    }
    for image in &summary.unchecked {
        out.push(TextLine::led(
            format!("{:<LEAD$}", "not checked"),
            Tone::Dim,
            clean(image),
            Tone::Plain,
        ));
    }
    out.extend(namespaces(audit));
    out.push(TextLine::blank());
    out.push(TextLine::new(
        "Findings by rule (enter lists them)",
        Tone::Header,
    ));
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in audit
        .report
        .findings
        .iter()
        .filter(|f| f.area == Area::Signatures && f.is_active())
    {
        *by_rule.entry(f.rule_id).or_default() += 1;
    }
    for (rule, n) in by_rule {
        out.push(TextLine::new(
            format!("  {rule}  {n:>4}  {}", crate::rules::rule(rule).title),
            Tone::Plain,
        ));
    }
    out
}

/// Per namespace: its images' verdicts, and which an admission policy enforces, audits
/// only, or does not check at all (as the engines would match them).
fn namespaces(audit: &Session) -> Vec<TextLine> {
    let inv = &audit.inventory;
    let facts = audit.config.signatures.as_deref();
    let mut tallies: BTreeMap<String, NamespaceTally> = BTreeMap::new();
    let admission = admission::Admission::of(inv);
    for w in crate::checks::audited_workloads(inv) {
        let labels = inv
            .namespaces
            .get(&*w.namespace)
            .map(|n| n.labels.clone())
            .unwrap_or_default();
        let tally = tallies.entry(w.namespace.to_string()).or_default();
        for c in crate::inventory::containers::containers(&w.spec) {
            let Some(raw) = c.image.filter(|i| !i.is_empty()) else {
                continue;
            };
            // Each image once per namespace, however many containers run it.
            if !tally.images.insert(raw.to_string()) {
                continue;
            }
            let running = w.running_image_ids.get(c.name).map(String::as_str);
            match facts
                .and_then(|f| f.get_running(raw, running))
                .map(|v| v.status)
            {
                Some(Status::Verified) => tally.verified += 1,
                Some(Status::Error) | None => tally.unknown += 1,
                Some(_) => tally.failing += 1,
            }
            let coverage = admission::coverage(&admission, &w.namespace, &labels, raw);
            match coverage.strongest() {
                Some(Action::Enforce) => tally.enforced += 1,
                Some(_) => tally.audit_only += 1,
                None => tally.uncovered += 1,
            }
        }
    }
    let width = tallies
        .keys()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(9, 24)
        + 2;
    let mut out = vec![
        TextLine::blank(),
        TextLine::new(
            "Namespaces: their images' verdicts, and whether an admission policy enforces signatures on them",
            Tone::Header,
        ),
    ];
    for (name, t) in tallies.iter().filter(|(_, t)| !t.images.is_empty()) {
        let name = if name.is_empty() { "(none)" } else { name };
        // Red where an image runs that no policy would stop unsigned.
        let lead_tone = if t.uncovered + t.audit_only > 0 {
            Tone::Bad
        } else {
            Tone::Good
        };
        out.push(TextLine::led(
            format!("{:<width$}", clean(name)),
            lead_tone,
            format!(
                "{} image{}: {} verified, {} not verified, {} not known; enforced on {}, audit only {}, no policy {}",
                t.images.len(),
                if t.images.len() == 1 { "" } else { "s" },
                t.verified,
                t.failing,
                t.unknown,
                t.enforced,
                t.audit_only,
                t.uncovered
            ),
            Tone::Plain,
        ));
    }
    out
}
