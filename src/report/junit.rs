//! JUnit XML for CI test tabs: one testsuite per area, one testcase per finding; suppressed
//! findings are skipped test cases.

use super::Report;
use crate::sanitize::html as xml;
use crate::severity::Area;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let active = report.findings.iter().filter(|f| f.is_active()).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"kaudit\" tests=\"{}\" failures=\"{active}\">",
        report.findings.len()
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
    out.push_str("</testsuites>\n");
    out
}
