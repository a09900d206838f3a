//! Matching conforms to Trivy: a bbolt `trivy.db` is built from the fixture YAML that Trivy's
//! integration goldens were made with, each golden image's package list (Trivy's own, from
//! its image-analysis goldens) is matched, and the vulnerabilities must equal Trivy's golden
//! report field by field. Reads `../shared/corpus` when it is there (it is in CI); a fresh
//! clone runs the self-written case in `tests/fixtures/vuln/` instead.

#[path = "common/trivydb.rs"]
mod trivydb;

use kaudit::vuln::rootfs::buildinfo::BuildInfo;
use kaudit::vuln::trivydb::TrivyDb;
use kaudit::vuln::{Os, Package, matcher};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/corpus is not here; only the self-written case runs");
        None
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `[epoch:]version[-release]` as Trivy formats an installed (or source) version.
fn full_version(p: &Value, prefix: &str) -> String {
    let field = |k: &str| p[format!("{prefix}{k}")].as_str().unwrap_or("").to_string();
    let epoch = p[format!("{prefix}Epoch")].as_i64().unwrap_or(0);
    let mut v = field("Version");
    if !field("Release").is_empty() {
        v = format!("{v}-{}", field("Release"));
    }
    if epoch != 0 {
        v = format!("{epoch}:{v}");
    }
    v
}

fn packages(golden: &Value) -> Vec<Package> {
    golden
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Package {
            name: p["Name"].as_str().unwrap().to_string(),
            version: full_version(p, ""),
            source_name: p["SrcName"].as_str().unwrap_or("").to_string(),
            source_version: full_version(p, "Src"),
            arch: p["Arch"].as_str().unwrap_or("").to_string(),
            modularity_label: p["Modularitylabel"].as_str().unwrap_or("").to_string(),
            layer: None,
            build_info: p.get("BuildInfo").map(|b| BuildInfo {
                content_sets: b["ContentSets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect(),
                nvr: b["Nvr"].as_str().unwrap_or("").to_string(),
                arch: b["Arch"].as_str().unwrap_or("").to_string(),
            }),
        })
        .collect()
}

/// The fields both sides report, one string per vulnerability.
fn from_golden(report: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for result in report["Results"].as_array().unwrap() {
        if result["Class"] != "os-pkgs" {
            continue;
        }
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            let vendor_ids: Vec<&str> = v["VendorIDs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            out.insert(format!(
                "{} {} {} fixed={} {} {}/{} {:?} ds={} ids={} {}",
                s("VulnerabilityID"),
                s("PkgName"),
                s("InstalledVersion"),
                s("FixedVersion"),
                s("Status"),
                s("Severity"),
                s("SeveritySource"),
                s("Title"),
                v["DataSource"]["ID"].as_str().unwrap_or(""),
                vendor_ids.join(","),
                s("PrimaryURL"),
            ));
        }
    }
    out
}

fn from_kaudit(found: &[kaudit::vuln::Vulnerability]) -> BTreeSet<String> {
    found
        .iter()
        .map(|v| {
            format!(
                "{} {} {} fixed={} {} {}/{} {:?} ds={} ids={} {}",
                v.id,
                v.package,
                v.installed_version,
                v.fixed_version,
                v.status,
                v.severity,
                v.severity_source,
                v.title,
                v.data_source.id,
                v.vendor_ids.join(","),
                v.primary_url,
            )
        })
        .collect()
}

fn fixture_db(dir: &Path, yaml_dir: &Path) -> PathBuf {
    let mut texts = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(yaml_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for f in files {
        texts.push(std::fs::read_to_string(f).unwrap());
    }
    trivydb::build(dir, &texts)
}

#[test]
fn os_packages_match_trivys_goldens() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db_path = fixture_db(
        dir.path(),
        &corpus.join("trivy-fixtures/trivy-integration-db"),
    );
    let db = TrivyDb::open(&db_path).expect("the fixture database opens");
    let mut passed = Vec::new();
    for (image, packages_golden) in [
        ("debian-buster", "debian-buster"),
        ("ubuntu-1804", "ubuntu-18.04"),
        ("alpine-310", "alpine-310"),
        ("amazon-2", "amazon-2"),
        ("opensuse-leap-151", "opensuse-leap-151"),
        ("opensuse-tumbleweed", "opensuse-tumbleweed"),
        ("photon-30", "photon-30"),
        // Red Hat: UBI 7's packages carry their layer's build (the product is its NVR);
        // CentOS 6's have none, so the release's default repositories apply.
        ("ubi-7", "ubi-7"),
        ("centos-6", "centos-6"),
    ] {
        let report = read_json(&corpus.join(format!(
            "trivy-reports/trivy-image-vuln-goldens/{image}.json.golden"
        )));
        let pkgs = packages(&read_json(&corpus.join(format!(
            "trivy-reports/trivy-fanal-package-goldens/{packages_golden}.json.golden"
        ))));
        let os = Os {
            family: report["Metadata"]["OS"]["Family"]
                .as_str()
                .unwrap()
                .to_string(),
            release: report["Metadata"]["OS"]["Name"]
                .as_str()
                .unwrap()
                .to_string(),
            repository: None,
        };
        // The goldens were made on Trivy's test clock, 2021-08-25.
        let eosl = report["Metadata"]["OS"]["EOSL"].as_bool().unwrap_or(false);
        if let Some(past) = kaudit::vuln::eol::is_past(&os, "2021-08-25") {
            assert_eq!(past, eosl, "{image}: end of life");
        }
        let found = matcher::matches(&db, &os, &pkgs).unwrap();
        let (want, got) = (from_golden(&report), from_kaudit(&found));
        assert!(!want.is_empty(), "{image}: the golden has vulnerabilities");
        assert_eq!(
            got,
            want,
            "{image}: kaudit found {} vulnerabilities, Trivy {}",
            got.len(),
            want.len()
        );
        passed.push(image);
    }
    eprintln!("conforming with Trivy's goldens: {}", passed.join(", "));
}

/// The golden's vulnerable packages as Trivy read them (name, installed version, arch and
/// module label from the package URL).
fn vulnerable_packages(report: &Value) -> Vec<Package> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for result in report["Results"].as_array().unwrap() {
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            let purl = v["PkgIdentifier"]["PURL"].as_str().unwrap_or("");
            let query = |k: &str| {
                purl.split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
                    .unwrap_or("")
                    .replace("%3A", ":")
            };
            let name = v["PkgName"].as_str().unwrap().to_string();
            let version = v["InstalledVersion"].as_str().unwrap().to_string();
            let package = Package {
                // The goldens' packages are their own source (Mariner's vim).
                source_name: name.clone(),
                source_version: version.clone(),
                name,
                version,
                arch: query("arch"),
                modularity_label: query("modularitylabel"),
                ..Package::default()
            };
            if seen.insert((package.name.clone(), package.arch.clone())) {
                out.push(package);
            }
        }
    }
    out
}

/// Rocky, Alma, Oracle Linux and CBL-Mariner: the goldens' vulnerable packages give Trivy's answer, and
/// the same packages built for another architecture, or already fixed, give none.
#[test]
fn rpm_family_packages_match_trivys_goldens() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db_path = fixture_db(
        dir.path(),
        &corpus.join("trivy-fixtures/trivy-integration-db"),
    );
    let db = TrivyDb::open(&db_path).expect("the fixture database opens");
    for image in [
        "rockylinux-8",
        "almalinux-8",
        "oraclelinux-8",
        "mariner-1.0",
    ] {
        let report = read_json(&corpus.join(format!(
            "trivy-reports/trivy-image-vuln-goldens/{image}.json.golden"
        )));
        let os = Os {
            family: report["Metadata"]["OS"]["Family"]
                .as_str()
                .unwrap()
                .to_string(),
            release: report["Metadata"]["OS"]["Name"]
                .as_str()
                .unwrap()
                .to_string(),
            repository: None,
        };
        let packages = vulnerable_packages(&report);
        assert!(!packages.is_empty(), "{image}");
        let found = matcher::matches(&db, &os, &packages).unwrap();
        assert_eq!(from_kaudit(&found), from_golden(&report), "{image}");

        // Decoys: a 32-bit ARM build (no fix names it for Rocky and Oracle; Alma's fixes
        // have no architecture, so it still matches there) and an already fixed build.
        let other_arch: Vec<Package> = packages
            .iter()
            .map(|p| Package {
                arch: "armv7hl".into(),
                ..p.clone()
            })
            .collect();
        let found = matcher::matches(&db, &os, &other_arch).unwrap();
        let arch_blind = matches!(os.family.as_str(), "alma" | "cbl-mariner");
        assert_eq!(found.is_empty(), !arch_blind, "{image}: {found:?}");
        let fixed: Vec<Package> = packages
            .iter()
            .map(|p| Package {
                version: format!("99:{}", p.version),
                source_version: format!("99:{}", p.source_version),
                ..p.clone()
            })
            .collect();
        // Mariner reports an advisory without a fix whatever the version.
        let unfixed = from_golden(&report)
            .iter()
            .filter(|v| v.contains(" fixed= "))
            .count();
        assert_eq!(
            matcher::matches(&db, &os, &fixed).unwrap().len(),
            unfixed,
            "{image}"
        );
    }
}

/// CentOS 7 (no package golden in the corpus): its vulnerable packages, without build
/// information, give Trivy's answer through the default repositories; once fixed, only the
/// CVE Red Hat will not fix stays.
#[test]
fn centos_7_matches_trivys_golden() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db_path = fixture_db(
        dir.path(),
        &corpus.join("trivy-fixtures/trivy-integration-db"),
    );
    let db = TrivyDb::open(&db_path).expect("the fixture database opens");
    let report =
        read_json(&corpus.join("trivy-reports/trivy-image-vuln-goldens/centos-7.json.golden"));
    let os = Os {
        family: "centos".into(),
        release: report["Metadata"]["OS"]["Name"]
            .as_str()
            .unwrap()
            .to_string(),
        repository: None,
    };
    let packages = vulnerable_packages(&report);
    let want = from_golden(&report);
    assert_eq!(want.len(), 3);
    assert_eq!(
        from_kaudit(&matcher::matches(&db, &os, &packages).unwrap()),
        want
    );
    let fixed: Vec<Package> = packages
        .iter()
        .map(|p| Package {
            version: format!("9:{}", p.version),
            ..p.clone()
        })
        .collect();
    let left: Vec<String> = matcher::matches(&db, &os, &fixed)
        .unwrap()
        .iter()
        .map(|v| format!("{} {}", v.id, v.status))
        .collect();
    assert_eq!(left, ["CVE-2019-18276 will_not_fix"]);
}

/// A lockfile or image golden whose report lists only the vulnerable packages: those
/// packages, matched by kaudit, give exactly Trivy's vulnerabilities, and each package at
/// one of its fixed versions no longer has that vulnerability.
fn vulnerable_packages_match(
    corpus: &Path,
    golden: &str,
    report: &Value,
    ecosystem: kaudit::vuln::language::Ecosystem,
    fixed_spelling: fn(&str) -> String,
) {
    use kaudit::vuln::language::{LangPackage, matches};
    let dir = tempfile::tempdir().unwrap();
    let db_path = fixture_db(
        dir.path(),
        &corpus.join("trivy-fixtures/trivy-integration-db"),
    );
    let db = TrivyDb::open(&db_path).expect("the fixture database opens");
    let package = |v: &Value, version: String| LangPackage {
        ecosystem,
        name: v["PkgName"].as_str().unwrap().to_string(),
        version,
        path: v["PkgPath"].as_str().unwrap_or("").to_string(),
        layer: None,
    };
    let mut lang = report.clone();
    let mut got = BTreeSet::new();
    for result in lang["Results"].as_array_mut().unwrap() {
        if result["Class"] != "lang-pkgs" {
            result["Class"] = "skipped".into();
            continue;
        }
        result["Class"] = "os-pkgs".into();
        let vulns = result["Vulnerabilities"].as_array().unwrap();
        let mut packages: Vec<LangPackage> = vulns
            .iter()
            .map(|v| package(v, v["InstalledVersion"].as_str().unwrap().to_string()))
            .collect();
        packages.dedup();
        got.extend(from_kaudit(&matches(&db, &packages).unwrap()));
        for v in vulns {
            let id = v["VulnerabilityID"].as_str().unwrap();
            let fixes: Vec<&str> = v["FixedVersion"].as_str().unwrap().split(", ").collect();
            let fixed_somewhere = fixes.iter().any(|fixed| {
                let at_fix = [package(v, fixed_spelling(fixed))];
                !matches(&db, &at_fix).unwrap().iter().any(|m| m.id == id)
            });
            assert!(fixed_somewhere, "{golden}: {id} stays at {fixes:?}");
        }
    }
    let want = from_golden(&lang);
    assert!(!want.is_empty(), "{golden}");
    assert_eq!(got, want, "{golden}");
}

/// Go: the go.mod golden.
#[test]
fn go_modules_match_trivys_golden() {
    let Some(corpus) = corpus() else { return };
    let golden = "trivy-lang-vuln-goldens/gomod.json.golden";
    vulnerable_packages_match(
        &corpus,
        golden,
        &read_json(&corpus.join("trivy-reports").join(golden)),
        kaudit::vuln::language::Ecosystem::Go,
        |fixed| format!("v{}", fixed.trim_start_matches('v')),
    );
}

/// Maven: the pom.xml and gradle.lockfile goldens (GitHub and GitLab advisories, each
/// with its own severity source) and the spring4shell image's JAR inside a WAR.
#[test]
fn maven_artifacts_match_trivys_goldens() {
    let Some(corpus) = corpus() else { return };
    for golden in [
        "trivy-lang-vuln-goldens/pom.json.golden",
        "trivy-lang-vuln-goldens/gradle.json.golden",
        "trivy-image-vuln-goldens/spring4shell-jre8.json.golden",
    ] {
        let mut report = read_json(&corpus.join("trivy-reports").join(golden));
        undo_spring4shell_module(&mut report);
        vulnerable_packages_match(
            &corpus,
            golden,
            &report,
            kaudit::vuln::language::Ecosystem::Maven,
            str::to_string,
        );
    }
}

/// The spring4shell golden comes from Trivy's test of its WASM module example, which lowers
/// CVE-2022-22965 to LOW when the image's JRE is older than 9 (it reports the JRE and Tomcat
/// versions it read as custom resources). Trivy without that module reports the severity
/// its source gives, as kaudit does; put that back before comparing.
fn undo_spring4shell_module(report: &mut Value) {
    let results = report["Results"].as_array_mut().unwrap();
    let module_ran = results.iter().any(|r| {
        r["CustomResources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| {
                c["Type"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("spring4shell/")
            })
    });
    if !module_ran {
        return;
    }
    const NAMES: [&str; 5] = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
    for v in results
        .iter_mut()
        .flat_map(|r| r["Vulnerabilities"].as_array_mut().into_iter().flatten())
        .filter(|v| v["VulnerabilityID"] == "CVE-2022-22965")
    {
        let source = v["SeveritySource"].as_str().unwrap().to_string();
        let level = v["VendorSeverity"][&source].as_u64().unwrap() as usize;
        v["Severity"] = NAMES[level].into();
    }
}

/// Python and Node.js: each lockfile golden's full package list matched by kaudit gives
/// exactly Trivy's vulnerabilities.
#[test]
fn language_packages_match_trivys_goldens() {
    use kaudit::vuln::language::{Ecosystem, LangPackage, matches};
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db_path = fixture_db(
        dir.path(),
        &corpus.join("trivy-fixtures/trivy-integration-db"),
    );
    let db = TrivyDb::open(&db_path).expect("the fixture database opens");
    for (golden, ecosystem) in [("pip", Ecosystem::Pip), ("npm", Ecosystem::Npm)] {
        let report = read_json(&corpus.join(format!(
            "trivy-reports/trivy-lang-vuln-goldens/{golden}.json.golden"
        )));
        let mut want = BTreeSet::new();
        let mut got = BTreeSet::new();
        for result in report["Results"].as_array().unwrap() {
            let packages: Vec<LangPackage> = result["Packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| LangPackage {
                    ecosystem,
                    name: p["Name"].as_str().unwrap().to_string(),
                    version: p["Version"].as_str().unwrap().to_string(),
                    path: String::new(),
                    layer: None,
                })
                .collect();
            assert!(packages.len() > 5, "{golden}");
            got.extend(from_kaudit(&matches(&db, &packages).unwrap()));
        }
        let mut lang = report.clone();
        for r in lang["Results"].as_array_mut().unwrap() {
            r["Class"] = "os-pkgs".into();
        }
        want.extend(from_golden(&lang));
        assert!(!want.is_empty(), "{golden}");
        assert_eq!(got, want, "{golden}");
    }
}

/// The version orderings agree with dpkg, librpm and apk-tools on every case of the corpus.
#[test]
fn version_orderings_agree_with_the_package_managers() {
    use kaudit::vuln::version::{Scheme, compare, rpm_segments};
    use std::cmp::Ordering;
    let Some(corpus) = corpus() else { return };
    let cases = |name: &str| -> Vec<Value> {
        read_json(&corpus.join("trivy-fixtures/version-compare").join(name))["cases"]
            .as_array()
            .unwrap()
            .clone()
    };
    let expected = |c: &Value| match c["expected"].as_i64().unwrap() {
        n if n < 0 => Ordering::Less,
        0 => Ordering::Equal,
        _ => Ordering::Greater,
    };
    let mut wrong = Vec::new();
    let deb = cases("deb-dpkg-cases.json");
    for c in &deb {
        let (a, b) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
        if compare(Scheme::Dpkg, a, b) != Some(expected(c)) {
            wrong.push(format!("dpkg {a} vs {b}"));
        }
    }
    let rpm = cases("rpm-rpmvercmp-cases.json");
    for c in &rpm {
        let (a, b) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
        if rpm_segments(a, b) != expected(c) {
            wrong.push(format!("rpmvercmp {a} vs {b}"));
        }
    }
    let evr = cases("rpm-evr-cases.json");
    for c in &evr {
        let (a, b) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
        if compare(Scheme::Rpm, a, b) != Some(expected(c)) {
            wrong.push(format!("rpm {a} vs {b}"));
        }
    }
    let apk = cases("apk-version-cases.json");
    for c in &apk {
        let (a, b) = (c["a"].as_str().unwrap(), c["b"].as_str().unwrap());
        let want = match c["op"].as_str().unwrap() {
            "<" => Ordering::Less,
            ">" => Ordering::Greater,
            _ => Ordering::Equal,
        };
        if compare(Scheme::Apk, a, b) != Some(want) {
            wrong.push(format!("apk {a} {} {b}", c["op"].as_str().unwrap()));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases ordered wrong:\n{}",
        wrong.len(),
        deb.len() + rpm.len() + evr.len() + apk.len(),
        wrong.join("\n")
    );
    eprintln!(
        "orderings: dpkg {}, rpmvercmp {}, rpm EVR {}, apk {} cases agree",
        deb.len(),
        rpm.len(),
        evr.len(),
        apk.len()
    );
}

/// Every Trivy golden report (images and lockfiles) reads whole: each vulnerability with its
/// id, package, versions, status and severity as Trivy wrote them.
#[test]
fn trivy_json_reports_read_whole() {
    let Some(corpus) = corpus() else { return };
    let mut read = 0;
    for folder in ["trivy-image-vuln-goldens", "trivy-lang-vuln-goldens"] {
        for entry in std::fs::read_dir(corpus.join("trivy-reports").join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let raw: Value = serde_json::from_slice(&bytes).unwrap();
            if raw["SchemaVersion"] != 2 {
                continue;
            }
            let report = kaudit::vuln::trivy_report::parse(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let want: Vec<&Value> = raw["Results"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
                .collect();
            assert_eq!(
                report.vulnerabilities.len(),
                want.len(),
                "{}",
                path.display()
            );
            for (got, want) in report.vulnerabilities.iter().zip(&want) {
                assert_eq!(got.id, want["VulnerabilityID"].as_str().unwrap());
                assert_eq!(got.severity, want["Severity"].as_str().unwrap());
                assert_eq!(got.status, want["Status"].as_str().unwrap_or("unknown"));
                assert_eq!(
                    got.fixed_version,
                    want["FixedVersion"].as_str().unwrap_or("")
                );
            }
            read += 1;
        }
    }
    assert!(read >= 40, "only {read} reports read");
    assert!(matches!(
        kaudit::vuln::trivy_report::parse(br#"{"SchemaVersion": 1}"#),
        Err(kaudit::vuln::trivy_report::Error::Schema(1))
    ));
    assert!(kaudit::vuln::trivy_report::parse(b"[1, 2").is_err());
}

/// A real trivy-operator VulnerabilityReport reads whole: the image it names and every
/// vulnerability it lists.
#[test]
fn a_real_operator_report_reads_whole() {
    let Some(corpus) = corpus() else { return };
    let path = corpus.join("trivy-reports/trivy-operator/vulnerabilityreport-coredns.yaml");
    let inventory = kaudit::sources::from_manifests(&[path]);
    assert_eq!(inventory.scanner_reports.len(), 1, "{:?}", inventory.errors);
    let value = &inventory.scanner_reports[0].value;
    let (reference, _, facts) = kaudit::vuln::operator_report::parse(value).unwrap();
    assert_eq!(reference, "k8s.gcr.io/coredns/coredns:v1.8.0");
    let listed = value["report"]["vulnerabilities"].as_array().unwrap();
    assert_eq!(facts.vulnerabilities.len(), listed.len());
    let first = &facts.vulnerabilities[0];
    assert_eq!(
        (
            first.id.as_str(),
            first.severity,
            first.fixed_version.as_str()
        ),
        ("CVE-2021-3121", "HIGH", "1.3.2")
    );
    assert_eq!(first.package, "github.com/gogo/protobuf");
}
