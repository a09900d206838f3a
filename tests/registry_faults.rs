//! Registries that fail or lie, played by a small HTTP server on 127.0.0.1: a 5xx, a
//! registry that never answers, a blob that is not what its digest says, a manifest without
//! end. Each is a clear error naming the image (and the layer), in bounded time and memory.

#[path = "common/fake_registry.rs"]
mod fake_registry;
#[path = "common/images.rs"]
mod images;
#[path = "common/trivydb.rs"]
mod trivydb;

use fake_registry::{Reply, serve};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn db(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln");
    let text = std::fs::read_to_string(fixtures.join("db/debian.yaml")).unwrap();
    trivydb::build(dir, &[text])
}

fn scan(reference: &str, db: &Path) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args([
            "image",
            "scan",
            "--no-store",
            reference,
            "--registry-timeout",
            "1",
        ])
        .arg("--trivy-db")
        .arg(db)
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn server_errors_and_silence_are_errors_not_clean_images() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let failing = serve(Box::new(|_| {
        Some(Reply::new(503, "text/plain", b"maintenance".to_vec()))
    }));
    let (code, stderr, _) = scan(&format!("{failing}/shop/web:1"), &db);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the registry answered 503 for manifest 1"),
        "{stderr}"
    );

    let silent = serve(Box::new(|_| None));
    let (code, stderr, took) = scan(&format!("{silent}/shop/web:1"), &db);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn a_lying_registry_is_caught_on_the_blob_it_lied_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = images::Image::new(
        vec![(
            images::tar(&[images::Entry::File("etc/debian_version", b"12.2\n")]),
            images::Compression::Gzip,
        )],
        "amd64",
    );
    let manifest = image.manifest.bytes.clone();
    let layer = image.layers[0].digest.clone();
    let forged = images::layer(
        &[images::Entry::File("etc/debian_version", b"13.0\n")],
        images::Compression::Gzip,
    )
    .bytes;
    let addr = serve(Box::new(move |path| {
        if path.contains("/manifests/") {
            Some(Reply::new(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                manifest.clone(),
            ))
        } else {
            Some(Reply::new(200, "application/octet-stream", forged.clone()))
        }
    }));
    let (code, stderr, _) = scan(&format!("{addr}/shop/web:1"), &db);
    assert_eq!(code, Some(2));
    assert!(stderr.contains(&format!("layer {layer}")), "{stderr}");
    assert!(
        stderr.contains("digest mismatch")
            || stderr.contains("longer than")
            || stderr.contains("truncated"),
        "{stderr}"
    );

    // A manifest asked for by digest must be that digest.
    let other = image.config.bytes.clone();
    let addr = serve(Box::new(move |_| {
        Some(Reply::new(
            200,
            "application/vnd.oci.image.manifest.v1+json",
            other.clone(),
        ))
    }));
    let (code, stderr, _) = scan(&format!("{addr}/shop/web@{}", image.manifest.digest), &db);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("digest mismatch"), "{stderr}");
}

#[test]
fn a_manifest_without_end_is_cut_at_four_mebibytes() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let addr = serve(Box::new(|_| {
        Some(Reply::new(
            200,
            "application/vnd.oci.image.manifest.v1+json",
            vec![b' '; 64 << 20],
        ))
    }));
    let (code, stderr, _) = scan(&format!("{addr}/shop/web:1"), &db);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("larger than 4096 KiB; not read"),
        "{stderr}"
    );
}
