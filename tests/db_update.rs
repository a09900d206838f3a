//! `kaudit db update`: Trivy's database published as an OCI artifact (built by the test from
//! the fixture YAML, pushed to Debian's `docker-registry` on 127.0.0.1), pulled into kaudit's
//! cache and found there by `image scan` and `db status`; and everything that must leave the
//! previous database whole: a wrong media type, a newer schema, a forged layer, a registry
//! that stalls, an update killed half-way.

#[path = "common/fake_registry.rs"]
mod fake_registry;
#[path = "common/images.rs"]
mod images;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/trivydb.rs"]
mod trivydb;

use fake_registry::{Reply, serve};
use images::Image;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const DB_LAYER: &str = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip";
const DB_CONFIG: &str = "application/vnd.aquasec.trivy.config.v1+json";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln")
}

/// `db.tar.gz` as Trivy publishes it: trivy.db and metadata.json.
fn db_archive(dir: &Path, schema: u32) -> Vec<u8> {
    let text = std::fs::read_to_string(fixtures().join("db/debian.yaml")).unwrap();
    let build = tempfile::tempdir_in(dir).unwrap();
    let built = trivydb::build(build.path(), &[text]);
    let db = std::fs::read(&built).unwrap();
    let metadata = format!(
        r#"{{"Version":{schema},"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-12-01T06:00:00.123456Z","DownloadedAt":"0001-01-01T00:00:00Z"}}"#
    );
    let tar = images::tar(&[
        images::Entry::File("trivy.db", &db),
        images::Entry::File("metadata.json", metadata.as_bytes()),
    ]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn kaudit(args: &[&str], data: &Path) -> Output {
    let home = data.join("home");
    std::fs::create_dir_all(&home).unwrap();
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env_remove("KAUDIT_TRIVY_DB")
        .env_remove("TRIVY_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home)
        .env("KAUDIT_DATA_DIR", data)
        .env("DOCKER_CONFIG", data.join("docker"))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn scan_debian(data: &Path) -> Output {
    kaudit(
        &[
            "image",
            "scan",
            "--no-store",
            "--rootfs",
            fixtures().join("debian").to_str().unwrap(),
            "--format",
            "json",
        ],
        data,
    )
}

#[test]
fn the_database_artifact_is_pulled_checked_and_used_and_bad_ones_change_nothing() {
    let Some(registry) = registry::start_or_skip("db update", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = Image::artifact(db_archive(dir.path(), 2), DB_LAYER, DB_CONFIG);
    registry.push("aquasecurity/trivy-db", "2", &[&good], None);

    // Before: no database anywhere, and the scan says where it looked.
    let before = scan_debian(&data);
    assert_eq!(before.status.code(), Some(2));
    assert!(
        text(&before).contains("no Trivy vulnerability database found"),
        "{}",
        text(&before)
    );

    let repo = format!("{}/aquasecurity/trivy-db:2", registry.addr);
    let out = kaudit(&["db", "update", "--repository", &repo], &data);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&good.layers[0].digest),
        "{}",
        text(&out)
    );
    let installed = data.join("cache/trivy-db/trivy.db");
    assert!(installed.is_file());
    assert!(data.join("cache/trivy-db/metadata.json").is_file());

    let after = scan_debian(&data);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    let report: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(report["database"]["path"], installed.to_str().unwrap());
    assert_eq!(report["vulnerabilities"].as_array().unwrap().len(), 4);

    let status = kaudit(&["db", "status", "--format", "json"], &data);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["schema_version"], 2);
    assert_eq!(status["stale"], false);
    assert_eq!(status["path"], installed.to_str().unwrap());

    let previous = std::fs::read(&installed).unwrap();
    let unchanged = |why: &str| {
        assert_eq!(std::fs::read(&installed).unwrap(), previous, "{why}");
        assert_eq!(scan_debian(&data).status.code(), Some(0), "{why}");
    };

    // Not a Trivy database layer.
    let other = Image::artifact(
        db_archive(dir.path(), 2),
        "application/vnd.oci.image.layer.v1.tar+gzip",
        DB_CONFIG,
    );
    registry.push("aquasecurity/trivy-db", "other", &[&other], None);
    let out = kaudit(
        &[
            "db",
            "update",
            "--repository",
            &format!("{}/aquasecurity/trivy-db:other", registry.addr),
        ],
        &data,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("its layer is application/vnd.oci.image.layer.v1.tar+gzip"),
        "{}",
        text(&out)
    );
    unchanged("wrong media type");

    // A schema kaudit does not read.
    let newer = Image::artifact(db_archive(dir.path(), 3), DB_LAYER, DB_CONFIG);
    registry.push("aquasecurity/trivy-db", "3", &[&newer], None);
    let out = kaudit(
        &[
            "db",
            "update",
            "--repository",
            &format!("{}/aquasecurity/trivy-db:3", registry.addr),
        ],
        &data,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("schema version 3 (kaudit reads 2)"),
        "{}",
        text(&out)
    );
    unchanged("newer schema");
    // A planted link where the cache folder goes is refused, nothing written through it.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let data2 = dir.path().join("data2");
    std::fs::create_dir_all(data2.join("cache")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, data2.join("cache/trivy-db")).unwrap();
    let out = kaudit(&["db", "update", "--repository", &repo], &data2);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("is a symbolic link"), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn a_forged_stalled_or_killed_update_leaves_the_previous_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The previous database, as an earlier update left it.
    let text_db = std::fs::read_to_string(fixtures().join("db/debian.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("prev")).unwrap();
    let built = trivydb::build(&dir.path().join("prev"), &[text_db]);
    std::fs::create_dir_all(data.join("cache/trivy-db")).unwrap();
    std::fs::copy(&built, data.join("cache/trivy-db/trivy.db")).unwrap();
    let previous = std::fs::read(&built).unwrap();
    let unchanged = |why: &str| {
        assert_eq!(
            std::fs::read(data.join("cache/trivy-db/trivy.db")).unwrap(),
            previous,
            "{why}"
        );
        assert_eq!(scan_debian(&data).status.code(), Some(0), "{why}");
    };

    let artifact = Image::artifact(db_archive(dir.path(), 2), DB_LAYER, DB_CONFIG);
    let manifest = artifact.manifest.bytes.clone();
    let layer = artifact.layers[0].bytes.clone();

    // A layer whose bytes are not the digest the manifest names.
    let (m, mut forged) = (manifest.clone(), layer.clone());
    let at = forged.len() / 2;
    forged[at] ^= 0x55;
    let addr = serve(Box::new(move |path| {
        Some(if path.contains("/manifests/") {
            Reply::new(200, "application/vnd.oci.image.manifest.v1+json", m.clone())
        } else {
            Reply::new(200, "application/octet-stream", forged.clone())
        })
    }));
    let out = kaudit(
        &[
            "db",
            "update",
            "--repository",
            &format!("{addr}/aquasecurity/trivy-db:2"),
        ],
        &data,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    unchanged("forged layer");

    // A registry that stops sending half-way: a time-out, then killed outright.
    let stalling = |stall: usize| {
        let (m, l) = (manifest.clone(), layer.clone());
        serve(Box::new(move |path| {
            Some(if path.contains("/manifests/") {
                Reply::new(200, "application/vnd.oci.image.manifest.v1+json", m.clone())
            } else {
                let mut reply = Reply::new(200, "application/octet-stream", l.clone());
                reply.stall_after = Some(stall);
                reply
            })
        }))
    };
    let addr = stalling(layer.len() / 2);
    let out = kaudit(
        &[
            "db",
            "update",
            "--repository",
            &format!("{addr}/aquasecurity/trivy-db:2"),
            "--registry-timeout",
            "1",
        ],
        &data,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("timed out"), "{}", text(&out));
    unchanged("stalled registry");

    let addr = stalling(layer.len() / 2);
    let home = data.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args([
            "db",
            "update",
            "--repository",
            &format!("{addr}/aquasecurity/trivy-db:2"),
        ])
        .env("KAUDIT_DATA_DIR", &data)
        .env("HOME", &home)
        .env("DOCKER_CONFIG", data.join("docker"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    unchanged("killed update");
}
