//! Side by side with the real Trivy: the same root filesystem (a real Ubuntu 18.04 dpkg
//! database from Trivy's own test data) and the same `trivy.db` (written from Trivy's
//! integration fixtures), scanned by `trivy rootfs` and `kaudit image scan --rootfs`: the
//! vulnerabilities must be the same. Needs `trivy` (v0.74.0: `GOEXPERIMENT=jsonv2 go install
//! github.com/aquasecurity/trivy/cmd/trivy@v0.74.0`) and `../shared/corpus`; skips loudly
//! without them unless KAUDIT_REQUIRE_E2E is set.

#[path = "common/trivydb.rs"]
mod trivydb;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn trivy() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("KAUDIT_TRIVY").map(PathBuf::from),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("go/bin/trivy")),
        Some(PathBuf::from("/usr/local/bin/trivy")),
        Some(PathBuf::from("/usr/bin/trivy")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn skip(why: &str) {
    if std::env::var_os("KAUDIT_REQUIRE_E2E").is_some() {
        panic!("KAUDIT_REQUIRE_E2E is set but {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// The files of a txtar archive (`-- path --` lines start each file).
fn txtar(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|l| l.strip_suffix(" --"))
        {
            files.push((name.to_string(), String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(line);
        }
    }
    files
}

fn rootfs(dir: &Path, corpus: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    let archive =
        std::fs::read_to_string(corpus.join("os-packages/pkg/dpkg/testdata/valid.txtar")).unwrap();
    for (name, body) in txtar(&archive) {
        let path = root.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/lsb-release"),
        "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\nDISTRIB_DESCRIPTION=\"Ubuntu 18.04.2 LTS\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"Ubuntu\"\nVERSION=\"18.04.2 LTS (Bionic Beaver)\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.04\"\n",
    )
    .unwrap();
    root
}

fn key(id: &str, pkg: &str, installed: &str, fixed: &str, status: &str, severity: &str) -> String {
    format!("{id} {pkg} {installed} fixed={fixed} {status} {severity}")
}

#[test]
fn kaudit_and_trivy_find_the_same_vulnerabilities_in_a_root_filesystem() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        return skip("../shared/corpus is not here");
    }
    let Some(trivy) = trivy() else {
        return skip("trivy is not installed (see this file's header)");
    };
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs(dir.path(), &corpus);
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(cache.join("db")).unwrap();
    let mut texts = Vec::new();
    let fixtures = corpus.join("trivy-fixtures/trivy-integration-db");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        texts.push(std::fs::read_to_string(f).unwrap());
    }
    let db = trivydb::build(&cache.join("db"), &texts);
    // Trivy re-downloads a database it did not download itself; say it did, an hour ago.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stamp = |secs: u64| {
        let out = Command::new("date")
            .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    std::fs::write(
        cache.join("db/metadata.json"),
        format!(
            r#"{{"Version":2,"NextUpdate":"{}","UpdatedAt":"{}","DownloadedAt":"{}"}}"#,
            stamp(now + 86_400),
            stamp(now - 3_600),
            stamp(now - 3_600)
        ),
    )
    .unwrap();

    let out = Command::new(&trivy)
        .args([
            "rootfs",
            "--quiet",
            "--skip-db-update",
            "--offline-scan",
            "--scanners",
            "vuln",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(&cache)
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "trivy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trivy_report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut want = BTreeSet::new();
    for result in trivy_report["Results"].as_array().into_iter().flatten() {
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            want.insert(key(
                &s("VulnerabilityID"),
                &s("PkgName"),
                &s("InstalledVersion"),
                &s("FixedVersion"),
                &s("Status"),
                &s("Severity"),
            ));
        }
    }

    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["image", "scan", "--format", "json", "--rootfs"])
        .arg(&root)
        .arg("--trivy-db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kaudit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: BTreeSet<String> = ours["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            key(
                &s("id"),
                &s("package"),
                &s("installed_version"),
                &s("fixed_version"),
                &s("status"),
                &s("severity"),
            )
        })
        .collect();
    assert!(
        !want.is_empty(),
        "Trivy finds vulnerabilities in this root filesystem"
    );
    assert_eq!(got, want);
    eprintln!("kaudit and trivy agree on {} vulnerabilities", got.len());
}
