//! The OS families Trivy's goldens do not cover, matched on a self-written database with
//! each detector's rules: Wolfi and Chainguard (apk, one rolling bucket, no unfixed
//! advisories, the introducing version ignored), SLES and SLE Micro (by binary package and
//! the release as written), Azure Linux (major.minor, source versions, unfixed advisories
//! reported, `0:` dropped), Photon (source package only) and os-release's family names.

use kaudit::vuln::trivydb::TrivyDb;
use kaudit::vuln::{Os, Package, matcher};

const DB: &str = r#"
- bucket: wolfi
  pairs:
    - bucket: openssl
      pairs:
        - key: CVE-2099-0201
          value:
            FixedVersion: 3.1.5-r0
        - key: CVE-2099-0202
          value:
            FixedVersion: ""
            AffectedVersion: "3.0.0-r0"
- bucket: chainguard
  pairs:
    - bucket: openssl
      pairs:
        - key: CVE-2099-0203
          value:
            FixedVersion: 3.1.6-r0
- bucket: SUSE Linux Enterprise 15.3
  pairs:
    - bucket: libopenssl1_1
      pairs:
        - key: SUSE-SU-2099:0001-1
          value:
            FixedVersion: 1.1.1d-150200.11.48.1
- bucket: SUSE Linux Enterprise Micro 5.3
  pairs:
    - bucket: libopenssl1_1
      pairs:
        - key: SUSE-SU-2099:0002-1
          value:
            FixedVersion: 1.1.1l-150400.7.22.1
- bucket: Azure Linux 3.0
  pairs:
    - bucket: vim
      pairs:
        - key: CVE-2099-0204
          value:
            FixedVersion: 0:9.1.0-1.azl3
        - key: CVE-2099-0205
          value: {}
- bucket: Photon OS 5.0
  pairs:
    - bucket: curl
      pairs:
        - key: CVE-2099-0206
          value:
            FixedVersion: 8.5.0-2.ph5
- bucket: data-source
  pairs:
    - key: wolfi
      value:
        ID: wolfi
        Name: Wolfi Secdb
        URL: https://packages.wolfi.dev/os/security.json
    - key: SUSE Linux Enterprise 15.3
      value:
        ID: suse-cvrf
        Name: SUSE CVRF
        URL: https://ftp.suse.com/pub/projects/security/cvrf/
    - key: Azure Linux 3.0
      value:
        ID: azure
        Name: Azure Linux Vulnerability Data
        URL: https://github.com/microsoft/AzureLinuxVulnerabilityData
- bucket: vulnerability
  pairs:
    - key: CVE-2099-0201
      value:
        Title: "openssl: a Wolfi fix"
        VendorSeverity:
          nvd: 3
    - key: SUSE-SU-2099:0001-1
      value:
        Title: "Security update for openssl-1_1"
        VendorSeverity:
          suse-cvrf: 2
        References:
          - https://www.suse.com/support/update/announcement/2099/suse-su-20990001-1/
          - https://lists.opensuse.org/archives/list/security-announce@lists.opensuse.org/thread/X/
    - key: CVE-2099-0204
      value:
        VendorSeverity:
          azure: 4
          nvd: 2
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

fn package(name: &str, version: &str, source: &str, source_version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        source_name: source.into(),
        source_version: source_version.into(),
        arch: "x86_64".into(),
        ..Package::default()
    }
}

fn ids(found: &[kaudit::vuln::Vulnerability]) -> Vec<String> {
    let mut ids: Vec<String> = found
        .iter()
        .map(|v| format!("{} {} {}", v.id, v.package, v.fixed_version))
        .collect();
    ids.sort();
    ids
}

#[test]
fn wolfi_and_chainguard_report_only_fixed_advisories_from_their_own_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    // libcrypto3 is built from openssl: looked up by its origin.
    let packages = [package("libcrypto3", "3.1.4-r0", "openssl", "3.1.4-r0")];
    let found = matcher::matches(&db, &os("wolfi", "20230201"), &packages).unwrap();
    assert_eq!(ids(&found), ["CVE-2099-0201 libcrypto3 3.1.5-r0"]);
    assert_eq!(found[0].data_source.id, "wolfi");
    assert_eq!(found[0].severity, "HIGH");
    assert_eq!(found[0].severity_source, "nvd");
    let found = matcher::matches(&db, &os("chainguard", "20230214"), &packages).unwrap();
    assert_eq!(ids(&found), ["CVE-2099-0203 libcrypto3 3.1.6-r0"]);
    // Without an origin the package's own name is used.
    let own = [package("openssl", "3.1.5-r0", "", "")];
    let found = matcher::matches(&db, &os("chainguard", "20230214"), &own).unwrap();
    assert_eq!(ids(&found), ["CVE-2099-0203 openssl 3.1.6-r0"]);
}

#[test]
fn suse_matches_binary_packages_in_the_release_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let packages = [package(
        "libopenssl1_1",
        "1.1.1d-150200.11.47.1",
        "openssl-1_1",
        "1.1.1d-150200.11.47.1",
    )];
    let found = matcher::matches(&db, &os("sles", "15.3"), &packages).unwrap();
    assert_eq!(
        ids(&found),
        ["SUSE-SU-2099:0001-1 libopenssl1_1 1.1.1d-150200.11.48.1"]
    );
    let v = &found[0];
    assert_eq!(
        (v.severity, v.severity_source.as_str()),
        ("MEDIUM", "suse-cvrf")
    );
    assert!(
        v.primary_url.starts_with("https://lists.opensuse.org/"),
        "an advisory id links to its announcement: {}",
        v.primary_url
    );
    assert!(
        matcher::matches(&db, &os("sles", "15.4"), &packages)
            .unwrap()
            .is_empty()
    );
    let found = matcher::matches(&db, &os("slem", "5.3"), &packages).unwrap();
    assert_eq!(
        ids(&found),
        ["SUSE-SU-2099:0002-1 libopenssl1_1 1.1.1l-150400.7.22.1"]
    );
}

#[test]
fn azure_linux_compares_source_versions_and_reports_unfixed_advisories() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    // The binary's version says fixed; the source's does not: the source decides.
    let packages = [package("vim-common", "9.1.0-1.azl3", "vim", "9.0.9-1.azl3")];
    let found = matcher::matches(&db, &os("azurelinux", "3.0.20240727"), &packages).unwrap();
    assert_eq!(
        ids(&found),
        [
            "CVE-2099-0204 vim-common 9.1.0-1.azl3",
            "CVE-2099-0205 vim-common "
        ]
    );
    let fixed = found.iter().find(|v| v.id == "CVE-2099-0204").unwrap();
    assert_eq!(fixed.installed_version, "9.1.0-1.azl3");
    assert_eq!(
        (fixed.severity, fixed.data_source.id.as_str()),
        ("CRITICAL", "azure")
    );
    let unfixed = found.iter().find(|v| v.id == "CVE-2099-0205").unwrap();
    assert_eq!(unfixed.status, "affected");
    // A package without a source package finds nothing (Trivy looks up the source only).
    let bare = [package("vim", "9.0.9-1.azl3", "", "")];
    assert!(
        matcher::matches(&db, &os("azurelinux", "3.0"), &bare)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn photon_matches_by_source_package_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let packages = [
        package("curl-libs", "8.5.0-1.ph5", "curl", "8.5.0-1.ph5"),
        package("curl", "8.5.0-1.ph5", "", ""),
    ];
    let found = matcher::matches(&db, &os("photon", "5.0"), &packages).unwrap();
    assert_eq!(ids(&found), ["CVE-2099-0206 curl-libs 8.5.0-2.ph5"]);
}

#[test]
fn families_kaudit_does_not_match_are_said_to_be_unmatched() {
    for (family, release) in [("centos-stream", "9"), ("fedora", "40")] {
        assert!(
            matcher::family(&os(family, release)).is_none(),
            "{family} must stay not evaluated until it is matched exactly"
        );
    }
}
