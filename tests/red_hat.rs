//! Red Hat Enterprise Linux and CentOS on a self-written database, with the rules of
//! Trivy's `redhat` detector: advisories apply per product (CPE index), an image's products
//! come from its build information or the release's default repositories, an erratum fixes
//! each of its CVEs, unfixed CVEs keep Red Hat's status, the architecture and module stream
//! count, and a product the database does not know is said, not passed.

use kaudit::vuln::rootfs::buildinfo::BuildInfo;
use kaudit::vuln::trivydb::TrivyDb;
use kaudit::vuln::{Os, Package, matcher};

const DB: &str = r#"
- bucket: Red Hat CPE
  pairs:
    - bucket: repository
      pairs:
        - key: rhel-7-server-rpms
          value: [869]
        - key: rhel-8-for-x86_64-baseos-rpms
          value: [1001]
        - key: rhel-8-for-x86_64-appstream-rpms
          value: [1002]
        - key: rhel-9-for-x86_64-baseos-rpms__9_DOT_2
          value: [1200]
    - bucket: nvr
      pairs:
        - key: ubi7-container-7.7-140-x86_64
          value: [869]
- bucket: Red Hat
  pairs:
    - bucket: bash
      pairs:
        - key: CVE-2099-1001
          value:
            Entries:
              - Affected: [869, 870]
                Cves:
                  - Severity: 1.0
                Arches: [x86_64]
                Status: 5
    - bucket: openssl-libs
      pairs:
        - key: RHSA-2099:0001
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - ID: CVE-2099-1002
                    Severity: 1
                  - ID: CVE-2099-1003
                    Severity: 2
                FixedVersion: 1:1.0.2k-19.el7
              - Affected: [1001]
                Cves:
                  - ID: CVE-2099-1003
                    Severity: 3
                FixedVersion: 1:1.1.1k-5.el8
        - key: RHSA-2099:0002
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - ID: CVE-2099-1003
                    Severity: 2
                FixedVersion: 1:1.0.2k-21.el7
        - key: CVE-2099-1003
          value:
            Entries:
              - Affected: [869]
                Cves:
                  - Severity: 2
                Status: 2
    - bucket: nodejs:18::npm
      pairs:
        - key: RHSA-2099:0003
          value:
            Entries:
              - Affected: [1002]
                Cves:
                  - ID: CVE-2099-1004
                    Severity: 4
                FixedVersion: 1:9.5.0-1.module+el8.8.0+1
    - bucket: glibc
      pairs:
        - key: RHSA-2099:0004
          value:
            Entries:
              - Affected: [1200]
                Cves:
                  - ID: CVE-2099-1005
                    Severity: 3
                FixedVersion: 0:2.34-60.el9_2.7
- bucket: vulnerability
  pairs:
    - key: CVE-2099-1001
      value:
        Title: "bash: a flaw Red Hat will not fix"
        Severity: HIGH
        VendorSeverity:
          redhat: 3
          nvd: 3
"#;

fn db(dir: &std::path::Path) -> TrivyDb {
    let path = kaudit::vuln::fixture::build(dir, &[DB]).unwrap();
    TrivyDb::open(&path).unwrap()
}

fn os(family: &str, release: &str) -> Os {
    Os {
        family: family.into(),
        release: release.into(),
        repository: None,
    }
}

fn package(name: &str, version: &str, arch: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        source_name: name.into(),
        source_version: version.into(),
        arch: arch.into(),
        ..Package::default()
    }
}

/// `id package installed fixed status severity/source vendor-ids`, sorted.
fn found(db: &TrivyDb, os: &Os, packages: &[Package]) -> Vec<String> {
    let mut out: Vec<String> = matcher::matches(db, os, packages)
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} {} {} fixed={} {} {}/{} {}",
                v.id,
                v.package,
                v.installed_version,
                v.fixed_version,
                v.status,
                v.severity,
                v.severity_source,
                v.vendor_ids.join(",")
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn centos_without_build_information_uses_the_releases_default_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let centos = os("centos", "7.6.1810");
    let packages = [
        package("bash", "4.2.46-31.el7", "x86_64"),
        package("openssl-libs", "1:1.0.2k-16.el7", "x86_64"),
    ];
    assert_eq!(
        found(&db, &centos, &packages),
        [
            // The CVE Red Hat will not fix: its status and Red Hat's own severity for this
            // product (LOW), not the record's HIGH.
            "CVE-2099-1001 bash 4.2.46-31.el7 fixed= will_not_fix LOW/redhat ",
            // One erratum, two CVEs, each with its own severity.
            "CVE-2099-1002 openssl-libs 1:1.0.2k-16.el7 fixed=1:1.0.2k-19.el7 fixed LOW/redhat RHSA-2099:0001",
            // Three advisories name CVE-2099-1003 for this product: the newest fix wins,
            // the unfixed entry loses to any fix.
            "CVE-2099-1003 openssl-libs 1:1.0.2k-16.el7 fixed=1:1.0.2k-21.el7 fixed MEDIUM/redhat RHSA-2099:0002",
        ]
    );
    assert_eq!(
        matcher::coverage_gap(&db, &centos, &packages).unwrap(),
        None
    );

    // Between the two fixes: only the newer one is still missing.
    let between = [package("openssl-libs", "1:1.0.2k-19.el7", "x86_64")];
    assert_eq!(
        found(&db, &centos, &between),
        [
            "CVE-2099-1003 openssl-libs 1:1.0.2k-19.el7 fixed=1:1.0.2k-21.el7 fixed MEDIUM/redhat RHSA-2099:0002"
        ]
    );
    // The entry is for x86_64: another architecture's bash is not affected; noarch is.
    assert!(found(&db, &centos, &[package("bash", "4.2.46-31.el7", "aarch64")]).is_empty());
    assert_eq!(
        found(&db, &centos, &[package("bash", "4.2.46-31.el7", "noarch")]).len(),
        1
    );
}

#[test]
fn build_information_decides_the_product_and_replaces_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let ubi = os("redhat", "7.7");
    let build = |content_sets: &[&str], nvr: &str| {
        Some(BuildInfo {
            content_sets: content_sets.iter().map(|s| s.to_string()).collect(),
            nvr: nvr.into(),
            arch: "x86_64".into(),
        })
    };
    // UBI 7: no content sets, only the build, which maps to the same product.
    let bash = Package {
        build_info: build(&[], "ubi7-container-7.7-140"),
        ..package("bash", "4.2.46-33.el7", "x86_64")
    };
    assert_eq!(found(&db, &ubi, std::slice::from_ref(&bash)).len(), 1);
    // A build the database does not know, and no content sets: nothing is matched, and the
    // scan says why instead of passing the image.
    let unknown = Package {
        build_info: build(&[], "my-app-1.0-1"),
        ..bash.clone()
    };
    assert!(found(&db, &ubi, std::slice::from_ref(&unknown)).is_empty());
    let gap = matcher::coverage_gap(&db, &ubi, &[bash, unknown])
        .unwrap()
        .expect("an unknown product is said");
    assert!(gap.contains("build my-app-1.0-1-x86_64"), "{gap}");
    assert!(gap.contains("not evaluated"), "{gap}");

    // RHEL 8 content sets as image builds write them (`__8`), and a module stream.
    let rhel8 = os("redhat", "8.8");
    let sets = build(
        &[
            "rhel-8-for-x86_64-baseos-rpms__8",
            "rhel-8-for-x86_64-appstream-rpms__8",
        ],
        "",
    );
    let npm = Package {
        modularity_label: "nodejs:18:8080020230713091512:63b34585".into(),
        build_info: sets.clone(),
        ..package("npm", "1:9.1.0-1.module+el8.8.0+1", "x86_64")
    };
    let openssl = Package {
        build_info: sets,
        ..package("openssl-libs", "1:1.1.1k-4.el8", "x86_64")
    };
    assert_eq!(
        found(&db, &rhel8, &[npm.clone(), openssl]),
        [
            "CVE-2099-1003 openssl-libs 1:1.1.1k-4.el8 fixed=1:1.1.1k-5.el8 fixed HIGH/redhat RHSA-2099:0001",
            "CVE-2099-1004 npm 1:9.1.0-1.module+el8.8.0+1 fixed=1:9.5.0-1.module+el8.8.0+1 fixed CRITICAL/redhat RHSA-2099:0003",
        ]
    );
    // The same npm outside the module is another package.
    let plain_npm = Package {
        modularity_label: String::new(),
        ..npm
    };
    assert!(found(&db, &rhel8, &[plain_npm]).is_empty());

    // An EUS repository keeps its suffix; a `0:` epoch is not printed.
    let glibc = Package {
        build_info: build(&["rhel-9-for-x86_64-baseos-rpms__9_DOT_2"], ""),
        ..package("glibc", "2.34-60.el9", "x86_64")
    };
    assert_eq!(
        found(&db, &os("redhat", "9.2"), &[glibc]),
        ["CVE-2099-1005 glibc 2.34-60.el9 fixed=2.34-60.el9_2.7 fixed HIGH/redhat RHSA-2099:0004"]
    );
}

#[test]
fn a_release_without_default_repositories_is_not_evaluated_without_build_information() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let rhel10 = os("redhat", "10.0");
    let packages = [package("openssl-libs", "1:3.2.2-6.el10", "x86_64")];
    assert!(found(&db, &rhel10, &packages).is_empty());
    let gap = matcher::coverage_gap(&db, &rhel10, &packages)
        .unwrap()
        .expect("RHEL 10 without build information is not evaluated");
    assert!(gap.starts_with("redhat 10.0:"), "{gap}");
    // Families kaudit does not match say so too.
    for (family, release) in [("centos-stream", "9"), ("fedora", "40")] {
        let gap = matcher::coverage_gap(&db, &os(family, release), &packages)
            .unwrap()
            .unwrap_or_default();
        assert!(gap.contains("does not match this OS family"), "{gap}");
    }
}
