//! One row per finding, then one per vulnerability of each image that runs, then one per
//! image's signature verdict, for spreadsheets and `grep`. Cells are quoted by the `csv` crate;
//! names from the cluster lose their control characters, and a cell a spreadsheet would run
//! as a formula (`=`, `+`, `-`, `@` first) starts with `'` instead.

use super::Report;
use crate::sanitize::strip_controls;
use std::io::Write;

const HEADER: [&str; 18] = [
    "id",
    "change",
    "rule_id",
    "area",
    "severity",
    "title",
    "kind",
    "namespace",
    "name",
    "container",
    "image",
    "message",
    "file",
    "line",
    "suppressed",
    "suppression_reason",
    "decision",
    "decision_reason",
];

pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(HEADER)?;
    for f in &report.findings {
        let change = report.change_mark(f.id).unwrap_or("");
        let (file, line) = f
            .location
            .as_ref()
            .map_or((String::new(), String::new()), |l| {
                (l.file.to_string(), l.line.to_string())
            });
        let suppression = f.suppressed.as_ref().map(|s| s.reason.as_str());
        let row = [
            f.id.to_string(),
            change.to_string(),
            f.rule_id.to_string(),
            f.area.to_string(),
            f.severity.to_string(),
            f.title.to_string(),
            f.subject.kind.to_string(),
            f.subject.namespace.to_string(),
            f.subject.name.to_string(),
            f.subject.container.as_deref().unwrap_or("").to_string(),
            f.subject.image.as_deref().unwrap_or("").to_string(),
            f.message().into_owned(),
            file,
            line,
            suppression.is_some().to_string(),
            suppression.unwrap_or("").to_string(),
            f.decision.as_ref().map_or(String::new(), |d| d.mark()),
            f.decision
                .as_ref()
                .map_or(String::new(), |d| d.decision.reason.clone()),
        ];
        csv.write_record(row.iter().map(|cell| cell_text(cell)))?;
    }
    // Then each image's vulnerabilities, one row each in the same columns (area `images`,
    // kind `Image`, the vulnerability id as the rule), so one filter on `kind` separates them.
    for (image, v) in super::vulnerabilities::rows(report) {
        let image = image.image.as_str();
        let row = [
            "",
            "",
            &v.id,
            "images",
            v.severity,
            &v.title,
            "Image",
            "",
            image,
            "",
            image,
            &v.sentence(),
            "",
            "",
            "false",
            "",
            "",
            "",
        ];
        csv.write_record(row.iter().map(|cell| cell_text(cell)))?;
    }
    // Then each image's signature verdict in the same columns (area `signatures`, kind
    // `Image`, rule `signature`, the status as the title, located where the image first
    // runs). A verdict is no finding: no id and no severity (SIG001/SIG003 carry those).
    for entry in super::signatures::entries(report) {
        let location = entry.verdict.and_then(|v| v.location.as_ref());
        let row = [
            "",
            "",
            "signature",
            "signatures",
            "",
            entry.status(),
            "Image",
            "",
            entry.image,
            "",
            entry.image,
            &entry.details(),
            location.map_or("", |l| &l.file),
            &location.map_or(String::new(), |l| l.line.to_string()),
            "false",
            "",
            "",
            "",
        ];
        csv.write_record(row.iter().map(|cell| cell_text(cell)))?;
    }
    csv.flush()
}

/// A cell as written: controls removed, formulas defused.
fn cell_text(cell: &str) -> String {
    let clean = strip_controls(cell);
    if clean.starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_controls_are_defused() {
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell_text("web\u{1b}[31m\nx"), "web x");
        assert_eq!(cell_text("plain"), "plain");
    }
}
