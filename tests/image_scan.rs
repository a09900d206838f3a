//! `kaudit image scan --rootfs`: an image's OS packages matched against a real bbolt
//! `trivy.db` (written by the test from the self-written fixture YAML), and what a damaged,
//! locked or foreign database, or a root filesystem with planted links, does.

#[path = "common/trivydb.rs"]
mod trivydb;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln")
}

fn fixture_db(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixtures().join("db/debian.yaml")).unwrap();
    trivydb::build(dir, &[text])
}

fn kaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env_remove("KAUDIT_TRIVY_DB")
        .output()
        .unwrap()
}

fn scan_json(rootfs: &Path, db: &Path) -> (Option<i32>, Value, String) {
    let out = kaudit(&[
        "image",
        "scan",
        "--rootfs",
        rootfs.to_str().unwrap(),
        "--trivy-db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), report, stderr)
}

fn summary(report: &Value) -> Vec<String> {
    let mut rows: Vec<String> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {} fixed={} {} {}/{}",
                v["id"].as_str().unwrap(),
                v["package"].as_str().unwrap(),
                v["source_package"].as_str().unwrap(),
                v["installed_version"].as_str().unwrap(),
                v["fixed_version"].as_str().unwrap(),
                v["status"].as_str().unwrap(),
                v["severity"].as_str().unwrap(),
                v["severity_source"].as_str().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn debian_packages_match_by_source_package_with_dpkg_ordering() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let (code, report, stderr) = scan_json(&fixtures().join("debian"), &db);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["os"]["family"], "debian");
    assert_eq!(report["os"]["release"], "12.2");
    assert_eq!(report["packages"], 3, "the removed package does not count");
    assert_eq!(
        summary(&report),
        [
            // Fixed after the installed +deb12u3: vulnerable, Debian's own severity.
            "CVE-2099-0001 libc-bin glibc 2.36-9+deb12u3 fixed=2.36-9+deb12u4 fixed HIGH/debian",
            "CVE-2099-0001 libc6 glibc 2.36-9+deb12u3 fixed=2.36-9+deb12u4 fixed HIGH/debian",
            // No fix, Debian will not fix it, its per-package urgency is low.
            "CVE-2099-0003 libc-bin glibc 2.36-9+deb12u3 fixed= will_not_fix LOW/debian",
            "CVE-2099-0003 libc6 glibc 2.36-9+deb12u3 fixed= will_not_fix LOW/debian",
        ]
    );
    let first = &report["vulnerabilities"][0];
    assert_eq!(first["data_source"]["name"], "Debian Security Tracker");
    assert_eq!(first["package_type"], "debian");
    assert_eq!(first["vendor_ids"][0], "DSA-9999-1");
}

#[test]
fn alpine_packages_match_by_origin_with_apk_ordering() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let (code, report, stderr) = scan_json(&fixtures().join("alpine"), &db);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        summary(&report),
        [
            "CVE-2099-0004 libcrypto3 openssl 3.1.4-r0 fixed=3.1.4-r1 fixed CRITICAL/nvd",
            "CVE-2099-0004 libssl3 openssl 3.1.4-r0 fixed=3.1.4-r1 fixed CRITICAL/nvd",
        ]
    );
    // An Alpine 3.18 whose repositories are 3.19's is matched as 3.19 (Trivy's rule).
    let (_, repo_report, _) = scan_json(&fixtures().join("alpine-repo-3.19"), &db);
    assert_eq!(repo_report["os"]["release"], "3.18.4");
    assert_eq!(summary(&repo_report), summary(&report));

    // --fail-on breaks on a critical one; text output lists it.
    let out = kaudit(&[
        "image",
        "scan",
        "--rootfs",
        fixtures().join("alpine").to_str().unwrap(),
        "--trivy-db",
        db.to_str().unwrap(),
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("alpine 3.19.1: 3 packages, 2 vulnerabilities (2 with a fix)"),
        "{text}"
    );
}

#[test]
fn bad_databases_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = fixtures().join("debian");
    // Not a bbolt file at all.
    let junk = dir.path().join("junk/trivy.db");
    std::fs::create_dir_all(junk.parent().unwrap()).unwrap();
    std::fs::write(&junk, vec![0x42u8; 64 << 10]).unwrap();
    let (code, _, stderr) = scan_json(&rootfs, &junk);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("not a Trivy database or damaged"),
        "{stderr}"
    );
    // Too small to be one.
    std::fs::write(&junk, b"tiny").unwrap();
    let (_, _, stderr) = scan_json(&rootfs, &junk);
    assert!(stderr.contains("smaller than a bbolt file"), "{stderr}");

    // A newer schema than kaudit reads.
    let db = fixture_db(dir.path());
    std::fs::write(dir.path().join("metadata.json"), r#"{"Version":3}"#).unwrap();
    let (code, _, stderr) = scan_json(&rootfs, &db);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("schema version 3"), "{stderr}");
    std::fs::remove_file(dir.path().join("metadata.json")).unwrap();

    // Held exclusively by another process (Trivy downloading): an error at once, no wait.
    let holder = std::fs::File::open(&db).unwrap();
    holder.lock().unwrap();
    let started = std::time::Instant::now();
    let (code, _, stderr) = scan_json(&rootfs, &db);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("locked by another process"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    holder.unlock().unwrap();
    let (code, _, _) = scan_json(&rootfs, &db);
    assert_eq!(code, Some(0), "usable once released");

    // No database anywhere kaudit looks.
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["image", "scan", "--rootfs", rootfs.to_str().unwrap()])
        .env_remove("KAUDIT_TRIVY_DB")
        .env_remove("TRIVY_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", dir.path())
        .env("KAUDIT_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no Trivy vulnerability database found"),
        "{stderr}"
    );
}

#[test]
fn planted_links_in_the_image_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib")).unwrap();
    std::fs::write(root.join("etc/debian_version"), "12.1\n").unwrap();
    // The package database is a link to a file outside the image.
    let outside = dir.path().join("outside-status");
    std::fs::write(
        &outside,
        "Package: libc6\nStatus: install ok installed\nVersion: 1\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("var/lib/dpkg/status")).unwrap();
    let (code, report, stderr) = scan_json(&root, &db);
    assert_eq!(code, Some(2), "{report}");
    assert!(stderr.contains("symbolic link; not followed"), "{stderr}");
}

/// A Trivy report given to an audit: the workloads running that image (by tag, or by the
/// digest the report names) get the vulnerability findings; others say what is missing.
#[test]
fn trivy_reports_feed_the_vulnerability_rules() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("app.yaml");
    std::fs::write(
        &manifests,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: registry.example.com/shop/web:1.4\n  - name: pinned\n    image: registry.example.com/shop/web@sha256:1111111111111111111111111111111111111111111111111111111111111111\n  - name: other\n    image: nginx:1.27\n",
    )
    .unwrap();
    let out = kaudit(&[
        "scan",
        "--no-store",
        "--manifests",
        manifests.to_str().unwrap(),
        "--trivy-report",
        fixtures().join("trivy-report-web.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired = |rule: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["subject"]["container"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fired("VUL001"), ["pinned", "web"], "{report}");
    assert!(fired("VUL002").is_empty(), "no high ones");
    assert_eq!(fired("VUL003"), ["pinned", "web"]);
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "VUL001")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("1 critical vulnerability with a fix: CVE-2099-2001 in libssl1.1"),
        "the unfixed critical one is not counted as fixable: {message}"
    );
    // The report's "vulnerabilities by image": counted per image that runs.
    let images = report["vulnerabilities"]["images"].as_array().unwrap();
    let web = images
        .iter()
        .find(|i| i["image"] == "registry.example.com/shop/web:1.4")
        .unwrap();
    assert_eq!(
        (web["critical"].as_u64(), web["medium"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(web["fixable"], 2);
    assert_eq!(web["eosl"], true);
    assert_eq!(
        web["vulnerabilities"][0]["id"], "CVE-2099-2001",
        "fixed criticals first"
    );
    assert_eq!(report["vulnerabilities"]["unknown"][0], "nginx:1.27");

    let not_evaluated: Vec<&Value> = report["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["rule_id"] == "VUL001")
        .collect();
    assert_eq!(
        not_evaluated.len(),
        1,
        "nginx has no data: {not_evaluated:?}"
    );
    assert!(
        not_evaluated[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no vulnerability data")
    );

    // A report that cannot be read is a note; the audit goes on.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"SchemaVersion\": 1}").unwrap();
    let out = kaudit(&[
        "scan",
        "--no-store",
        "--manifests",
        manifests.to_str().unwrap(),
        "--trivy-report",
        bad.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["source"]["notes"].to_string().contains("schema 1"),
        "{}",
        report["source"]
    );
}

/// Markdown and SARIF of an image scan: the same vulnerabilities; the SARIF valid against the
/// vendored OASIS 2.1.0 schema, every result located at the package database.
#[test]
fn markdown_and_sarif_carry_the_same_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let run = |format: &str| {
        let out = kaudit(&[
            "image",
            "scan",
            "--rootfs",
            fixtures().join("debian").to_str().unwrap(),
            "--trivy-db",
            db.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let md = run("md");
    assert!(md.contains("**4 vulnerabilities**, 2 with a fix."), "{md}");
    assert_eq!(
        md.matches("| CVE-2099-0003 |").count() + md.matches("[CVE-2099-0003]").count(),
        2
    );

    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "var/lib/dpkg/status"
    ));
    assert_eq!(
        results.iter().filter(|r| r["level"] == "error").count(),
        2,
        "the two HIGH ones are errors"
    );
}

/// trivy-operator's VulnerabilityReports in the cluster (here: in the manifests, as `kubectl
/// get vulns -A -o yaml` writes them) feed the same rules, with no other input.
#[test]
fn operator_reports_in_the_cluster_feed_the_rules() {
    let out = kaudit(&[
        "scan",
        "--no-store",
        "--manifests",
        fixtures().join("operator").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str().filter(|r| r.starts_with("VUL")))
        .collect();
    assert_eq!(
        fired,
        ["VUL002"],
        "a high with a fix; the critical has none: {report}"
    );
    assert!(
        report["vulnerabilities"]["source"]
            .as_str()
            .unwrap()
            .contains("trivy-operator reports (1)")
    );
    let coredns = &report["vulnerabilities"]["images"][0];
    assert_eq!(
        (coredns["critical"].as_u64(), coredns["high"].as_u64()),
        (Some(1), Some(1))
    );
}

/// A root without an OS release file (a scratch image with an app) is still evaluated on its
/// language packages, and a database past its next update is said in the scan's notes.
#[test]
fn a_root_without_an_os_is_judged_on_its_language_packages() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(&dir.path().join("db"));
    let root = dir.path().join("root");
    let package = root.join("app/node_modules/jquery/package.json");
    std::fs::create_dir_all(package.parent().unwrap()).unwrap();
    std::fs::write(&package, r#"{"name":"jquery","version":"3.3.1"}"#).unwrap();
    let (code, report, stderr) = scan_json(&root, &db);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["evaluated"], true, "{report}");
    let ids: Vec<&str> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CVE-2099-0102"]);
    let notes = report["notes"].to_string();
    assert!(notes.contains("no OS release file"), "{notes}");
    assert!(!notes.contains("next update"), "{notes}");

    std::fs::write(
        dir.path().join("db/metadata.json"),
        r#"{"Version":2,"NextUpdate":"2026-01-02T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let (_, report, _) = scan_json(&root, &db);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("past its next update (2026-01-02T00:00:00Z): run `kaudit db update`"),
        "{notes}"
    );
}
