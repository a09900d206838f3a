//! Vulnerability matching benchmark (issue target: a 500-package image against a full-size
//! database in under 20 ms after open; opening O(1)). The database is synthetic but shaped
//! like trivy.db: a `debian 12` bucket with 30,000 packages of 1-8 advisories each and a
//! `vulnerability` bucket with 100,000 details, written with kaudit's fixture writer.
//!
//! With `trivy` installed (see tests/trivy_side_by_side.rs) and `../shared/corpus` present it
//! also times `trivy rootfs` against kaudit on the same root filesystem (a real Ubuntu 18.04
//! dpkg database) and database: kaudit's library path and, when `target/release/kaudit` is
//! built, its binary.
//!
//! Run with `cargo bench --bench vuln`.

use kaudit::vuln::trivydb::TrivyDb;
use kaudit::vuln::{Os, Package, matcher};
use std::fmt::Write;
use std::time::{Duration, Instant};

#[path = "common/timing.rs"]
mod timing;
use timing::median;

const PACKAGES: usize = 30_000;
const DETAILS: usize = 100_000;

fn database_yaml() -> String {
    let mut y = String::from("- bucket: debian 12\n  pairs:\n");
    let mut id = 0usize;
    for p in 0..PACKAGES {
        let _ = writeln!(y, "    - bucket: pkg{p}\n      pairs:");
        for a in 0..(1 + p % 8) {
            id += 1;
            let fixed = if a % 3 == 0 {
                String::new()
            } else {
                format!("{}.{a}-1", 1 + p % 5)
            };
            let _ = writeln!(
                y,
                "        - key: CVE-2099-{id:06}\n          value: {{FixedVersion: \"{fixed}\", Severity: {}}}",
                a % 5
            );
        }
    }
    y.push_str("- bucket: vulnerability\n  pairs:\n");
    for d in 1..=DETAILS {
        let _ = writeln!(
            y,
            "    - key: CVE-2099-{d:06}\n      value: {{Title: \"synthetic vulnerability {d} with a title of ordinary length\", VendorSeverity: {{nvd: {}}}}}",
            d % 5
        );
    }
    y
}

fn side_by_side() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let trivy = std::env::var_os("HOME")
        .map(|h| std::path::PathBuf::from(h).join("go/bin/trivy"))
        .filter(|p| p.is_file());
    let (true, Some(trivy)) = (corpus.is_dir(), trivy) else {
        println!("side by side with trivy: skipped (needs ~/go/bin/trivy and ../shared/corpus)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    let archive =
        std::fs::read_to_string(corpus.join("os-packages/pkg/dpkg/testdata/valid.txtar")).unwrap();
    let status = archive.split_once("-- var/lib/dpkg/status --\n").unwrap().1;
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), status).unwrap();
    std::fs::write(
        root.join("etc/lsb-release"),
        "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\n",
    )
    .unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=ubuntu\nVERSION_ID=\"18.04\"\n",
    )
    .unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(cache.join("db")).unwrap();
    let mut texts = Vec::new();
    for e in std::fs::read_dir(corpus.join("trivy-fixtures/trivy-integration-db")).unwrap() {
        texts.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let db_path = kaudit::vuln::fixture::build(&cache.join("db"), &refs).unwrap();
    let soon = "2099-01-01T00:00:00Z";
    let recent = std::process::Command::new("date")
        .args(["-u", "-d", "-1 hour", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap();
    std::fs::write(
        cache.join("db/metadata.json"),
        format!(r#"{{"Version":2,"NextUpdate":"{soon}","UpdatedAt":"{recent}","DownloadedAt":"{recent}"}}"#),
    )
    .unwrap();
    let time_process = |program: &std::path::Path, args: &[&std::ffi::OsStr]| {
        median(
            (0..7)
                .map(|_| {
                    let t = Instant::now();
                    let out = std::process::Command::new(program)
                        .args(args)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    t.elapsed()
                })
                .collect(),
        )
    };
    let trivy_time = time_process(
        &trivy,
        &[
            "rootfs".as_ref(),
            "--quiet".as_ref(),
            "--skip-db-update".as_ref(),
            "--offline-scan".as_ref(),
            "--scanners".as_ref(),
            "vuln".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--cache-dir".as_ref(),
            cache.as_os_str(),
            root.as_os_str(),
        ],
    );
    let library = median(
        (0..15)
            .map(|_| {
                let t = Instant::now();
                let db = TrivyDb::open(&db_path).unwrap();
                let contents = kaudit::vuln::rootfs::read(&root).unwrap();
                std::hint::black_box(
                    matcher::matches(&db, &contents.os, &contents.packages).unwrap(),
                );
                t.elapsed()
            })
            .collect(),
    );
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kaudit");
    let binary_time = binary.is_file().then(|| {
        time_process(
            &binary,
            &[
                "image".as_ref(),
                "scan".as_ref(),
                "--format".as_ref(),
                "json".as_ref(),
                "--rootfs".as_ref(),
                root.as_os_str(),
                "--trivy-db".as_ref(),
                db_path.as_os_str(),
            ],
        )
    });
    println!(
        "rootfs of 91 dpkg packages (Ubuntu 18.04), same database: trivy rootfs median {:.0} ms; kaudit library {:.2} ms ({:.0}x){}",
        trivy_time.as_secs_f64() * 1e3,
        library.as_secs_f64() * 1e3,
        trivy_time.as_secs_f64() / library.as_secs_f64(),
        binary_time.map_or(
            " (build --release for the binary's figure)".to_string(),
            |b| format!(
                "; kaudit binary {:.1} ms ({:.0}x)",
                b.as_secs_f64() * 1e3,
                trivy_time.as_secs_f64() / b.as_secs_f64()
            )
        )
    );
}

/// A gzip layer holding `files` (path, bytes).
fn layer(files: &[(String, Vec<u8>)]) -> (Vec<u8>, String) {
    use std::io::Write as _;
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, path, &data[..]).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    let bytes = gz.finish().unwrap();
    let digest = sha256(&bytes);
    (bytes, digest)
}

fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(data))
}

/// An OCI layout of a Debian-like image: a base layer with 500 installed packages among
/// 6,000 other files (about 48 MB unpacked), an application layer of 2,000 files.
fn debian_layout(dir: &std::path::Path) -> String {
    let mut status = String::new();
    for i in 0..500 {
        let p = i * (PACKAGES / 500);
        let _ = write!(
            status,
            "Package: pkg{p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {}.2-1\nDescription: synthetic\n  package {p}\n\n",
            1 + p % 5
        );
    }
    let filler = |n: usize, prefix: &str| -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                let body: Vec<u8> = (0..8192u32)
                    .map(|b| (b.wrapping_mul(31) ^ i as u32) as u8)
                    .collect();
                (format!("{prefix}/f{i}"), body)
            })
            .collect()
    };
    let mut base = vec![
        ("etc/debian_version".to_string(), b"12.7\n".to_vec()),
        ("var/lib/dpkg/status".to_string(), status.into_bytes()),
    ];
    base.extend(filler(6000, "usr/share/base"));
    let layers = [layer(&base), layer(&filler(2000, "app"))];
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), bytes).unwrap();
        digest
    };
    for (bytes, _) in &layers {
        put(bytes);
    }
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = put(config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layers.iter().map(|(b, d)| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": b.len()})).collect::<Vec<_>>(),
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let manifest_digest = put(&manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    manifest_digest
}

/// Reading an image's layers cold, then the same digest from kaudit's store (issue target:
/// a cached digest under 5 ms), each followed by matching against the database.
fn image_reading(db_path: &std::path::Path) {
    use kaudit::session::image_scan::{Databases, Options, Target, read, scan};
    let databases = Databases::open(Some(db_path), None, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let digest = debian_layout(&layout);
    let unpacked: u64 = 6002 * 8192 + 2000 * 8192;
    let options = |store: Option<std::path::PathBuf>| Options {
        platform: kaudit::registry::Platform::parse("linux/amd64").unwrap(),
        remote: Default::default(),
        store,
    };
    let target = Target::Layout(layout.clone());
    let timed = |target: &Target, options: &Options| -> (Duration, usize, bool) {
        let t = Instant::now();
        let (contents, cached) = read(target, options).unwrap();
        let found = scan(
            String::new(),
            contents,
            cached,
            &databases,
            "2026-12-04",
            options.store.as_deref(),
        )
        .unwrap()
        .vulnerabilities
        .len();
        (t.elapsed(), found, cached)
    };
    let cold: Vec<Duration> = (0..5).map(|_| timed(&target, &options(None)).0).collect();
    let store = dir.path().join("data/kaudit.db");
    // What a registry scan of this digest keeps (a layout's own digests are never kept).
    let (contents, _) = read(&target, &options(None)).unwrap();
    let kept = kaudit::store::Store::open(&store).unwrap();
    kaudit::session::image_scan::keep(&kept, &digest, &options(None).platform, &contents);
    drop(kept);
    // A running digest: answered from the store before any request (the first run keeps
    // the matches too).
    let by_digest = Target::Reference(format!("127.0.0.1:9/shop/web@{digest}"));
    let (_, found, _) = timed(&by_digest, &options(Some(store.clone())));
    let cached_digest: Vec<Duration> = (0..15)
        .map(|_| {
            let (t, _, cached) = timed(&by_digest, &options(Some(store.clone())));
            assert!(cached);
            t
        })
        .collect();
    let cold = median(cold);
    println!(
        "image from an OCI layout (2 gzip layers, {:.0} MB unpacked, 500 packages, {found} vulnerabilities): cold read + match median {:.0} ms ({:.0} MB/s unpacked); a cached digest (REF@digest) {:.2} ms (target < 5 ms)",
        unpacked as f64 / 1e6,
        cold.as_secs_f64() * 1e3,
        unpacked as f64 / 1e6 / cold.as_secs_f64(),
        median(cached_digest).as_secs_f64() * 1e3,
    );
}

/// RPM databases of go-rpmdb's test data (in the Go module cache once Trivy is built): how
/// long reading each takes, BerkeleyDB, NDB and SQLite.
fn rpm_databases() {
    let Some(cache) = std::env::var_os("HOME")
        .map(|h| std::path::PathBuf::from(h).join("go/pkg/mod/github.com/knqyf263"))
    else {
        return;
    };
    let Some(pkg) = std::fs::read_dir(&cache)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains("go-rpmdb@"))
                .max()
        })
        .map(|p| p.join("pkg/testdata"))
    else {
        println!("rpm databases: skipped (go-rpmdb is not in the Go module cache)");
        return;
    };
    for file in [
        "centos7-many/Packages",
        "centos8-modularitylabel/Packages",
        "sle15-bci/Packages.db",
        "fedora35/rpmdb.sqlite",
    ] {
        let Ok(bytes) = std::fs::read(pkg.join(file)) else {
            continue;
        };
        let mut count = 0;
        let times: Vec<Duration> = (0..9)
            .map(|_| {
                let t = Instant::now();
                count = kaudit::vuln::rootfs::rpm::parse_database(&bytes)
                    .map(|p| p.len())
                    .unwrap_or(0);
                t.elapsed()
            })
            .collect();
        println!(
            "rpm database {file}: {:.1} MB, {count} packages read in {:.2} ms (median of 9)",
            bytes.len() as f64 / 1e6,
            median(times).as_secs_f64() * 1e3
        );
    }
}

fn main() {
    rpm_databases();
    side_by_side();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let yaml = database_yaml();
    let path = kaudit::vuln::fixture::build(dir.path(), &[&yaml]).unwrap();
    println!(
        "synthetic trivy.db: {:.1} MB written in {:.1} s",
        std::fs::metadata(&path).unwrap().len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let opening: Vec<Duration> = (0..9)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(TrivyDb::open(&path).unwrap());
            t.elapsed()
        })
        .collect();
    let db = TrivyDb::open(&path).unwrap();
    let os = Os {
        family: "debian".into(),
        release: "12.7".into(),
        repository: None,
    };
    // 500 packages spread over the database, every one with advisories.
    let packages: Vec<Package> = (0..500)
        .map(|i| {
            let p = i * (PACKAGES / 500);
            Package {
                name: format!("pkg{p}"),
                version: format!("{}.2-1", 1 + p % 5),
                source_name: format!("pkg{p}"),
                source_version: format!("{}.2-1", 1 + p % 5),
                ..Package::default()
            }
        })
        .collect();
    let mut found = 0;
    let matching: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            found = matcher::matches(&db, &os, &packages).unwrap().len();
            t.elapsed()
        })
        .collect();
    println!(
        "open: median {:.2} ms (target O(1)); match 500 packages ({found} vulnerabilities): median {:.1} ms (target < 20 ms)",
        median(opening).as_secs_f64() * 1e3,
        median(matching).as_secs_f64() * 1e3
    );
    image_reading(&path);
}
