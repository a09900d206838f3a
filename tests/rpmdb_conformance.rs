//! RPM databases read as `rpm -qa` lists them: go-rpmdb's test databases (SQLite, BerkeleyDB
//! in both byte orders, NDB), in the Go module cache once Trivy is built (as CI builds it),
//! against go-rpmdb's own expectation for each, the `rpm -qa` of that image recorded in its
//! `rpmdb_testcase_test.go`. Without the cache these skip loudly, and fail when
//! KAUDIT_REQUIRE_E2E is set; the unit tests of `vuln::rootfs::rpm*` cover the formats on
//! self-written files.

use kaudit::vuln::Package;
use kaudit::vuln::rootfs::rpm;
use std::path::PathBuf;

type Parse = fn(&[u8]) -> Result<Vec<Package>, String>;

/// How much of a database go-rpmdb's expectation lists.
enum Expect {
    /// Every package.
    All,
    /// Its first packages, in order.
    First,
}

/// go-rpmdb's `pkg` folder in the Go module cache (`$GOMODCACHE`, else `~/go/pkg/mod`), of
/// the newest version there.
fn go_rpmdb() -> Option<PathBuf> {
    let cache = std::env::var_os("GOMODCACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("go/pkg/mod")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache.join("github.com/knqyf263"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("go-rpmdb@"))
        .map(|e| e.path().join("pkg"))
        .filter(|p| p.join("rpmdb_testcase_test.go").is_file())
        .collect();
    found.sort();
    found.pop()
}

/// The Go string literals of a line, unescaped, in order.
fn go_strings(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while chars.by_ref().any(|c| c == '"') {
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => s.extend(chars.next()),
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

/// A go-rpmdb expectation (`CentOS7Plain`, ...) in kaudit's terms, one line per package:
/// `name [epoch:]version-release arch source-rpm modularity-label`, in `rpm -qa`'s order
/// (the database's).
fn expected(cases: &str, case: &str) -> Option<Vec<String>> {
    let start = cases.find(&format!("\t{case} = func()"))?;
    let end = start + cases[start..].find("return toPackageInfo")?;
    // {intRef(2), "tar", "1.34", "2.fc35", "x86_64", "tar-1.34-2.fc35.src.rpm", 2969479,
    //  "GPLv3+", "Fedora Project", "", "A GNU file archiving program", "..."},
    let want: Vec<String> = cases[start..end]
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("{intRef(")?;
            let (epoch, _) = rest.split_once(')')?;
            let fields = go_strings(rest);
            let [
                name,
                version,
                release,
                arch,
                source,
                _license,
                _vendor,
                label,
                ..,
            ] = &fields[..]
            else {
                return None;
            };
            // Trivy writes no epoch when it is 0, as kaudit does.
            let epoch = if epoch.is_empty() || epoch == "0" {
                String::new()
            } else {
                format!("{epoch}:")
            };
            let arch = if arch.is_empty() { "None" } else { arch };
            Some(format!(
                "{name} {epoch}{version}-{release} {arch} {source} {label}"
            ))
        })
        .collect();
    Some(want)
}

/// What kaudit lists, in the same terms (the source RPM's file name rebuilt from the
/// source package's name and version, which carry the binary's epoch as Trivy gives it).
fn listed(packages: &[Package]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            let source = if p.source_name.is_empty() {
                String::new()
            } else {
                let version = p
                    .source_version
                    .split_once(':')
                    .map_or(p.source_version.as_str(), |(_, v)| v);
                format!("{}-{version}.src.rpm", p.source_name)
            };
            format!(
                "{} {} {} {source} {}",
                p.name, p.version, p.arch, p.modularity_label
            )
        })
        .collect()
}

/// Skips loudly without go-rpmdb's test data, fails if KAUDIT_REQUIRE_E2E says it must run.
fn skip(why: &str) {
    assert!(
        std::env::var_os("KAUDIT_REQUIRE_E2E").is_none(),
        "{why} (KAUDIT_REQUIRE_E2E is set; building Trivy fetches go-rpmdb into the Go module cache)"
    );
    eprintln!("\n*** SKIPPED rpmdb conformance: {why} ***\n");
}

/// Each (testdata file, expectation) reads, with `parse` and as the format is told apart
/// from its bytes, as exactly the packages go-rpmdb expects (every field kaudit keeps), in
/// the database's order.
fn reads_as_rpm_lists_it(parse: Parse, cases: &[(&str, &str, Expect)]) {
    let Some(pkg) = go_rpmdb() else {
        return skip("go-rpmdb is not in the Go module cache");
    };
    let testcases = std::fs::read_to_string(pkg.join("rpmdb_testcase_test.go")).unwrap();
    for (file, case, expect) in cases {
        let path = pkg.join("testdata").join(file);
        let (Ok(bytes), Some(want)) = (std::fs::read(&path), expected(&testcases, case)) else {
            skip(&format!("{} or its case {case} is missing", path.display()));
            continue;
        };
        assert!(
            want.len() >= 10,
            "{case}: go-rpmdb's list reads ({} packages)",
            want.len()
        );
        let ours = parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            rpm::parse_database(&bytes).as_ref(),
            Ok(&ours),
            "{file}: told apart by its bytes"
        );
        let got = listed(&ours);
        // go-rpmdb's own test compares its list in order, and some lists are only the
        // database's first packages (CentOS6Many).
        let compared = match expect {
            Expect::All => &got[..],
            Expect::First => &got[..want.len().min(got.len())],
        };
        if let Some(i) =
            (0..want.len().max(compared.len())).find(|i| want.get(*i) != compared.get(*i))
        {
            panic!(
                "{case}: {} packages read, {} expected; first difference at {i}: expected {:?}, read {:?}",
                got.len(),
                want.len(),
                want.get(i),
                compared.get(i)
            );
        }
        eprintln!(
            "{case} ({file}): {} packages read, the {} go-rpmdb lists as rpm -qa lists them",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn an_rpm_sqlite_database_reads_as_rpm_lists_it() {
    reads_as_rpm_lists_it(
        rpm::parse_sqlite,
        &[
            ("fedora35/rpmdb.sqlite", "Fedora35WithSQLite3", Expect::All),
            (
                "fedora35-plus-mongo/rpmdb.sqlite",
                "Fedora35PlusMongoDBWithSQLite3",
                Expect::All,
            ),
        ],
    );
}

#[test]
fn berkeleydb_rpm_databases_read_as_rpm_lists_them() {
    reads_as_rpm_lists_it(
        rpm::parse_bdb,
        &[
            ("centos5-plain/Packages", "CentOS5Plain", Expect::All),
            ("centos6-plain/Packages", "CentOS6Plain", Expect::All),
            ("centos6-devtools/Packages", "CentOS6DevTools", Expect::All),
            ("centos6-many/Packages", "CentOS6Many", Expect::First),
            ("centos7-plain/Packages", "CentOS7Plain", Expect::All),
            ("centos7-devtools/Packages", "CentOS7DevTools", Expect::All),
            ("centos7-many/Packages", "CentOS7Many", Expect::All),
            ("centos7-python35/Packages", "CentOS7Python35", Expect::All),
            ("centos7-httpd24/Packages", "CentOS7Httpd24", Expect::All),
            (
                "centos8-modularitylabel/Packages",
                "CentOS8Modularitylabel",
                Expect::All,
            ),
            // Big-endian.
            ("ubi8-s390x/Packages", "UBI8s390x", Expect::All),
        ],
    );
}

#[test]
fn an_ndb_rpm_database_reads_as_rpm_lists_it() {
    reads_as_rpm_lists_it(
        rpm::parse_ndb,
        &[("sle15-bci/Packages.db", "SLE15WithNDB", Expect::All)],
    );
}

/// Red Hat products and advisories for the CentOS 7 scan below.
const CENTOS_DB: &str = r#"
- bucket: Red Hat CPE
  pairs:
    - bucket: repository
      pairs:
        - key: rhel-7-server-rpms
          value: [869]
- bucket: Red Hat
  pairs:
    - bucket: bash
      pairs:
        - key: CVE-2099-1101
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - Severity: 1
                Arches: [x86_64]
                Status: 5
    - bucket: openssl-libs
      pairs:
        - key: RHSA-2099:1102
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - ID: CVE-2099-1102
                    Severity: 3
                FixedVersion: 1:1.0.2k-16.el7
        - key: RHSA-2099:1103
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - ID: CVE-2099-1103
                    Severity: 3
                FixedVersion: 1:1.0.2k-12.el7
"#;

/// A CentOS 7 root with go-rpmdb's real BerkeleyDB `Packages` goes through the binary: the
/// release from `etc/centos-release`, every package read, Red Hat's advisories matched
/// through the release's default repositories.
#[test]
fn a_centos_7_root_is_scanned_end_to_end() {
    let Some(pkg) = go_rpmdb() else {
        return skip("go-rpmdb is not in the Go module cache");
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.join("etc/centos-release"),
        "CentOS Linux release 7.6.1810 (Core)\n",
    )
    .unwrap();
    std::fs::copy(
        pkg.join("testdata/centos7-plain/Packages"),
        root.join("var/lib/rpm/Packages"),
    )
    .unwrap();
    let db_dir = dir.path().join("db");
    std::fs::create_dir_all(&db_dir).unwrap();
    let db = kaudit::vuln::fixture::build(&db_dir, &[CENTOS_DB]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["image", "scan", "--rootfs"])
        .arg(&root)
        .arg("--trivy-db")
        .arg(&db)
        .args(["--format", "json"])
        .env("KAUDIT_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(report["os"]["family"], "centos", "{report}");
    assert_eq!(report["os"]["release"], "7.6.1810");
    assert_eq!(report["packages"], 144, "{report}");
    let mut found: Vec<String> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {}",
                v["id"].as_str().unwrap(),
                v["package"].as_str().unwrap(),
                v["installed_version"].as_str().unwrap(),
                v["status"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    // openssl-libs 1:1.0.2k-12.el7 is older than the first fix and equal to the second.
    assert_eq!(
        found,
        [
            "CVE-2099-1101 bash 4.2.46-30.el7 will_not_fix",
            "CVE-2099-1102 openssl-libs 1:1.0.2k-12.el7 fixed",
        ]
    );
}
