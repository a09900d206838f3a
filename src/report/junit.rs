//! JUnit XML for CI test tabs: one testsuite per area, one testcase per finding; suppressed
//! findings are skipped test cases. Then a `vulnerabilities` testsuite: one testcase per
//! vulnerability of each image that runs, failed when it is critical or high (what
//! `--fail-on high` would stop on), passed otherwise with its severity as a property. Then a
//! `signatures` testsuite: one testcase per image, failed when unverified, invalid or
//! unsigned, an error when its registry could not be asked, skipped when not looked up.

use super::Report;
use super::signatures::Outcome;
use crate::sanitize::html as xml;
use crate::severity::Area;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let active = report.findings.iter().filter(|f| f.is_active()).count();
    let vulnerabilities: Vec<_> = super::vulnerabilities::rows(report).collect();
    let failing = |v: &crate::vuln::Vulnerability| matches!(v.severity, "CRITICAL" | "HIGH");
    let vulnerable = vulnerabilities.iter().filter(|(_, v)| failing(v)).count();
    let signatures = super::signatures::entries(report);
    let count = |o: Outcome| signatures.iter().filter(|e| e.outcome() == o).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"kaudit\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        report.findings.len() + vulnerabilities.len() + signatures.len(),
        active + vulnerable + count(Outcome::Fail),
        count(Outcome::Error)
    );
    for area in Area::ALL {
        let list: Vec<_> = report.findings.iter().filter(|f| f.area == area).collect();
        let failures = list.iter().filter(|f| f.is_active()).count();
        let skipped = list.len() - failures;
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            area.as_str(),
            list.len()
        );
        for f in list {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{} {}\">",
                f.rule_id,
                xml(&f.subject.path()),
                f.id
            );
            let marks: Vec<(&str, String)> = [
                report.change_mark(f.id).map(|m| ("change", m.to_string())),
                f.decision.as_ref().map(|d| ("decision", d.mark())),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !marks.is_empty() {
                let _ = writeln!(out, "      <properties>");
                for (name, value) in marks {
                    let _ = writeln!(
                        out,
                        "        <property name=\"{name}\" value=\"{}\"/>",
                        xml(&value)
                    );
                }
                let _ = writeln!(out, "      </properties>");
            }
            match &f.suppressed {
                Some(s) => {
                    let _ = writeln!(
                        out,
                        "      <skipped message=\"suppressed: {}\"/>",
                        xml(&s.reason)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        f.severity,
                        xml(f.title),
                        xml(&f.message())
                    );
                }
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if report.vulnerabilities.is_some() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"vulnerabilities\" tests=\"{}\" failures=\"{vulnerable}\">",
            vulnerabilities.len()
        );
        for (image, v) in vulnerabilities {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{} {} {}\">",
                xml(&image.image),
                xml(&v.id),
                xml(&v.package),
                xml(&v.installed_version)
            );
            let _ = writeln!(
                out,
                "      <properties><property name=\"severity\" value=\"{}\"/></properties>",
                v.severity
            );
            if failing(v) {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    v.severity,
                    xml(&v.title),
                    xml(&v.sentence())
                );
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if report.signatures.is_some() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"signatures\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            signatures.len(),
            count(Outcome::Fail),
            count(Outcome::Error),
            count(Outcome::Skipped)
        );
        for entry in &signatures {
            signature_case(&mut out, entry);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// One image's signature verdict as a testcase, its status and attestations as properties.
fn signature_case(out: &mut String, entry: &super::signatures::Entry) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"signature\">",
        xml(entry.image)
    );
    let _ = write!(
        out,
        "      <properties><property name=\"status\" value=\"{}\"/>",
        entry.status()
    );
    if let Some(v) = entry.verdict {
        let _ = write!(
            out,
            "<property name=\"attestations\" value=\"{}\"/>",
            xml(&v.verdict.attestation_kinds())
        );
    }
    let _ = writeln!(out, "</properties>");
    let reason = entry.verdict.map_or("", |v| v.verdict.reason.as_str());
    match entry.outcome() {
        Outcome::Pass => {}
        Outcome::Skipped => {
            let _ = writeln!(
                out,
                "      <skipped message=\"not checked: {}\"/>",
                xml(&entry.details())
            );
        }
        failed => {
            let element = if failed == Outcome::Fail {
                "failure"
            } else {
                "error"
            };
            let _ = writeln!(
                out,
                "      <{element} type=\"{}\" message=\"{}\">{}</{element}>",
                entry.status(),
                xml(reason),
                xml(&entry.details())
            );
        }
    }
    let _ = writeln!(out, "    </testcase>");
}
