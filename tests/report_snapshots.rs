//! The demo's reports in every format, as insta snapshots (`tests/snapshots/`), and a check
//! that every format carries the same findings: a renderer that drops, repeats or miscounts
//! a finding, a vulnerability or a signature verdict fails here, whatever the others do.

use kaudit::engine::Report;
use kaudit::report;
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use std::collections::{BTreeMap, BTreeSet};

/// The demo audited on a fixed date, so exemption expiry never moves the snapshots.
fn demo_report() -> std::sync::Arc<Report> {
    let options = SessionOptions {
        today: "2026-12-01".into(),
        ..SessionOptions::default()
    };
    Session::open(&Source::Demo, &options)
        .expect("the demo audits")
        .report
}

fn sarif(report: &Report) -> String {
    let mut out = Vec::new();
    report::sarif::write(report, &mut out).expect("SARIF renders");
    String::from_utf8(out).expect("SARIF is UTF-8")
}

#[test]
fn markdown_report_of_the_demo() {
    insta::assert_snapshot!(report::markdown::render(&demo_report()));
}

#[test]
fn sarif_report_of_the_demo() {
    insta::assert_snapshot!(sarif(&demo_report()));
}

#[test]
fn junit_report_of_the_demo() {
    insta::assert_snapshot!(report::junit::render(&demo_report()));
}

#[test]
fn html_report_of_the_demo() {
    insta::assert_snapshot!(report::html::render(&demo_report()));
}

/// Per rule, the count a heading gives: `### IMG003 Title (12 findings, HIGH)` in
/// Markdown, `<h3>IMG003 Title (12, ...` in HTML.
fn heading_counts(text: &str, heading: &str, count_end: char) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for part in text.split(heading).skip(1) {
        let line = part.lines().next().unwrap_or("");
        let line = line.split("</h3>").next().unwrap_or(line);
        let rule: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        // The count is in the last parenthesis of the heading (titles may hold their own).
        let Some(open) = line.rfind(" (") else {
            continue;
        };
        let digits: String = line[open + 2..]
            .chars()
            .take_while(|c| *c != count_end && c.is_ascii_digit())
            .collect();
        if let (false, Ok(n)) = (rule.is_empty(), digits.parse::<usize>()) {
            *counts.entry(rule).or_default() += n;
        }
    }
    counts
}

#[test]
fn every_format_carries_the_same_findings() {
    let report = demo_report();
    let json: serde_json::Value =
        serde_json::from_str(&report::json::render(&report)).expect("JSON report parses");
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), report.findings.len());
    let ids: BTreeSet<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), findings.len(), "finding ids are unique");
    let mut active_per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.get("suppressed").is_none()) {
        *active_per_rule
            .entry(f["rule_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(active_per_rule.len() > 20, "the demo fires most rules");

    // Each vulnerable package of each image that runs, as `image|id|package|version`.
    let mut vulnerabilities: BTreeSet<String> = BTreeSet::new();
    for image in json["vulnerabilities"]["images"]
        .as_array()
        .expect("images")
    {
        for v in image["vulnerabilities"].as_array().unwrap() {
            vulnerabilities.insert(format!(
                "{}|{}|{}|{}",
                image["image"].as_str().unwrap(),
                v["id"].as_str().unwrap(),
                v["package"].as_str().unwrap(),
                v["installed_version"].as_str().unwrap()
            ));
        }
    }
    assert!(
        vulnerabilities.len() > 5,
        "the demo's images have vulnerabilities"
    );
    let failing = json["vulnerabilities"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["critical"].as_u64().unwrap() + i["high"].as_u64().unwrap())
        .sum::<u64>() as usize;

    // Each image's signature status; the unverified, invalid and unsigned ones fail.
    let mut signatures: BTreeMap<String, String> = BTreeMap::new();
    for image in json["signatures"]["images"].as_array().expect("verdicts") {
        signatures.insert(
            image["image"].as_str().unwrap().to_string(),
            image["status"].as_str().unwrap().to_string(),
        );
    }
    for image in json["signatures"]["unchecked"].as_array().unwrap() {
        signatures.insert(image.as_str().unwrap().to_string(), "not checked".into());
    }
    let unsigned: BTreeSet<String> = signatures
        .iter()
        .filter(|(_, s)| matches!(s.as_str(), "unverified" | "invalid" | "unsigned"))
        .map(|(i, _)| i.clone())
        .collect();
    assert!(
        signatures.values().any(|s| s == "verified") && !unsigned.is_empty(),
        "the demo has verified and failing verdicts: {signatures:?}"
    );

    // SARIF: one result per finding, each with kaudit's finding id as its fingerprint, one
    // per vulnerable package, one per image whose signatures fail.
    let sarif: serde_json::Value = serde_json::from_str(&sarif(&report)).expect("SARIF parses");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let fingerprints = |key: &str| -> BTreeSet<String> {
        results
            .iter()
            .filter_map(|r| r["partialFingerprints"][key].as_str())
            .map(str::to_string)
            .collect()
    };
    let sarif_ids = fingerprints("kauditFindingId/v1");
    assert_eq!(
        results.len(),
        findings.len() + vulnerabilities.len() + unsigned.len()
    );
    assert_eq!(sarif_ids, ids.iter().map(|i| i.to_string()).collect());
    assert_eq!(fingerprints("kauditVulnerability/v1"), vulnerabilities);
    assert_eq!(fingerprints("kauditSignature/v1"), unsigned);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
    }

    // JUnit: one test case per finding, named with its id; failures are the active ones,
    // the critical and high vulnerabilities and the images whose signatures fail.
    let junit = report::junit::render(&report);
    let (finding_suites, vulnerability_suite) = junit
        .split_once("<testsuite name=\"vulnerabilities\"")
        .expect("a vulnerabilities testsuite");
    let (vulnerability_suite, signature_suite) = vulnerability_suite
        .split_once("<testsuite name=\"signatures\"")
        .expect("a signatures testsuite");
    assert_eq!(
        signature_suite.matches("<testcase ").count(),
        signatures.len()
    );
    assert_eq!(signature_suite.matches("<failure ").count(), unsigned.len());
    let junit_ids: BTreeSet<&str> = finding_suites
        .split("<testcase ")
        .skip(1)
        .filter_map(|case| {
            let name = case.split(" name=\"").nth(1)?.split('"').next()?;
            name.rsplit(' ').next()
        })
        .collect();
    assert_eq!(junit_ids, ids);
    assert_eq!(
        vulnerability_suite.matches("<testcase ").count(),
        vulnerabilities.len()
    );
    assert_eq!(vulnerability_suite.matches("<failure ").count(), failing);
    let active: usize = active_per_rule.values().sum();
    assert!(
        junit.contains(&format!(
            "tests=\"{}\" failures=\"{}\"",
            findings.len() + vulnerabilities.len() + signatures.len(),
            active + failing + unsigned.len()
        )),
        "{}",
        junit.lines().nth(1).unwrap_or("")
    );

    // CSV: a row per finding (with its id), then a row per vulnerable package, then one per
    // image's signature status.
    let mut csv = Vec::new();
    report::csv::write(&report, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let (mut csv_ids, mut csv_vulnerabilities) = (BTreeSet::new(), BTreeSet::new());
    let mut csv_signatures = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[3] == "signatures" && row[0].is_empty() {
            assert_eq!((&row[2], &row[6]), ("signature", "Image"));
            csv_signatures.insert(row[10].to_string(), row[5].to_string());
        } else if row[0].is_empty() {
            assert_eq!(&row[6], "Image");
            let package = row[11]
                .split(" is affected")
                .next()
                .unwrap()
                .replacen(' ', "|", 1);
            csv_vulnerabilities.insert(format!("{}|{}|{package}", &row[10], &row[2]));
        } else {
            csv_ids.insert(row[0].to_string());
        }
    }
    assert_eq!(csv_ids, sarif_ids);
    assert_eq!(csv_vulnerabilities, vulnerabilities);
    assert_eq!(csv_signatures, signatures);

    // Markdown and HTML count each image's vulnerabilities.
    let markdown = report::markdown::render(&report);
    let html = report::html::render(&report);
    for image in json["vulnerabilities"]["images"].as_array().unwrap() {
        let n = image["vulnerabilities"].as_array().unwrap().len();
        if n == 0 {
            continue;
        }
        let name = image["image"].as_str().unwrap();
        assert!(
            markdown.contains(&format!("{name} ({n} vulnerabilities)")),
            "{name}"
        );
        assert!(
            html.contains(&format!("{name}</code> ({n} vulnerabilities)")),
            "{name}"
        );
    }

    // Markdown and HTML group findings by rule under a heading that counts them.
    assert_eq!(heading_counts(&markdown, "\n### ", ' '), active_per_rule);
    assert_eq!(heading_counts(&html, "<h3>", ','), active_per_rule);
}

/// The demo's unsigned image (ghcr.io/acme/catalog, no policy enforces signatures on it)
/// fails its JUnit test case and is a SARIF result under `signature/unsigned`, located where
/// it runs; a verified image is neither.
#[test]
fn an_unsigned_image_fails_in_junit_and_is_a_sarif_result() {
    let report = demo_report();
    let unsigned = "ghcr.io/acme/catalog:1.7.3";
    let verified = "registry.acme.example/shop/reports:latest";
    let junit = report::junit::render(&report);
    let case = |image: &str| {
        let start = junit
            .find(&format!(
                "<testcase classname=\"{image}\" name=\"signature\">"
            ))
            .unwrap_or_else(|| panic!("a signature test case for {image}"));
        let end = start + junit[start..].find("</testcase>").unwrap();
        junit[start..end].to_string()
    };
    assert!(
        case(unsigned).contains("<failure type=\"unsigned\" message=\"no signature"),
        "{}",
        case(unsigned)
    );
    assert!(!case(verified).contains("<failure"), "{}", case(verified));
    assert!(
        case("postgres:16").contains("<skipped message=\"not checked"),
        "an image not looked up is skipped, never unsigned"
    );

    let sarif: serde_json::Value = serde_json::from_str(&sarif(&report)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let for_image = |image: &str| -> Vec<&serde_json::Value> {
        results
            .iter()
            .filter(|r| r["partialFingerprints"]["kauditSignature/v1"] == image)
            .collect()
    };
    let found = for_image(unsigned);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["ruleId"], "signature/unsigned");
    assert_eq!(found[0]["level"], "warning");
    assert_eq!(
        found[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "demo/shop.yaml"
    );
    assert!(for_image(verified).is_empty());
    let statuses = &sarif["runs"][0]["properties"]["signatures"]["images"];
    assert!(
        statuses
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["image"] == verified && s["status"] == "verified"),
        "{statuses}"
    );
}

/// Image names and reasons come from registries and clusters: no terminal control reaches
/// a report, and markup is escaped.
#[test]
fn hostile_signature_verdicts_are_escaped_in_every_format() {
    let mut report = (*demo_report()).clone();
    let summary = report.signatures.as_mut().expect("the demo has verdicts");
    let failing = summary
        .images
        .iter_mut()
        .find(|v| v.verdict.status == kaudit::signatures::Status::Unsigned)
        .unwrap();
    failing.verdict.image = "evil.example/x:1\u{1b}]0;owned\u{7}".into();
    failing.verdict.reason = "<b>\"bold\"</b> & =cmd\u{1b}[31m\nnext".into();
    let junit = report::junit::render(&report);
    let sarif = sarif(&report);
    let mut csv = Vec::new();
    report::csv::write(&report, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let markdown = report::markdown::render(&report);
    let html = report::html::render(&report);
    for (name, text) in [
        ("junit", &junit),
        ("sarif", &sarif),
        ("csv", &csv),
        ("markdown", &markdown),
        ("html", &html),
    ] {
        assert!(!text.contains('\u{1b}'), "{name} carries an escape");
        assert!(!text.contains('\u{7}'), "{name} carries a bell");
    }
    assert!(junit.contains("&lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; =cmd"));
    assert!(!junit.contains("<b>"));
    assert!(html.contains("&lt;b&gt;") && !html.contains("<b>\"bold"));
}
