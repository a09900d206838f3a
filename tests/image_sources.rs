//! `kaudit image scan` of real images: built by the test as tar layers (gzip, zstd, plain),
//! read from an OCI layout, a `docker save` archive and Debian's `docker-registry` on
//! 127.0.0.1; each package attributed to the layer that installed it; whiteouts applied;
//! the per-digest cache; and what hostile images and registries get: a clear error naming
//! the image and layer, never a panic.

#[path = "common/debian_images.rs"]
mod debian_images;
#[path = "common/images.rs"]
mod images;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/trivydb.rs"]
mod trivydb;

use debian_images::{GLIBC, db, debian_image, kaudit};
use images::{Compression, Entry, Image};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Scan {
    code: Option<i32>,
    report: Value,
    stderr: String,
}

fn scan(target: &[&str], db: &Path, data: &Path) -> Scan {
    let mut args = vec!["image", "scan"];
    args.extend_from_slice(target);
    args.extend_from_slice(&["--trivy-db", db.to_str().unwrap(), "--format", "json"]);
    let out = kaudit(&args, data);
    Scan {
        code: out.status.code(),
        report: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `id package layer` of each vulnerability, sorted.
fn found(report: &Value) -> Vec<String> {
    let mut rows: Vec<String> = report["vulnerabilities"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|v| {
            format!(
                "{} {} {}",
                v["id"].as_str().unwrap(),
                v["package"].as_str().unwrap(),
                v["layer"].as_str().unwrap_or("-")
            )
        })
        .collect();
    rows.sort();
    rows
}

fn expected(image: &Image) -> Vec<String> {
    let (base, app) = (&image.layers[0].digest, &image.layers[1].digest);
    let mut rows = vec![
        format!("CVE-2099-0001 libc-bin {base}"),
        format!("CVE-2099-0001 libc6 {base}"),
        format!("CVE-2099-0003 libc-bin {base}"),
        format!("CVE-2099-0003 libc6 {base}"),
        format!("CVE-2099-0004 libssl3 {app}"),
    ];
    rows.sort();
    rows
}

#[test]
fn an_oci_layout_is_read_layer_by_layer_with_packages_attributed_to_their_layer() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = debian_image("amd64");
    let layout = dir.path().join("layout");
    images::layout_of(&layout, &image);
    let s = scan(&["--oci-layout", layout.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    assert_eq!(s.report["os"]["family"], "debian");
    assert_eq!(s.report["os"]["release"], "12.2");
    assert_eq!(s.report["digest"], image.manifest.digest.as_str());
    assert_eq!(s.report["packages"], 3);
    assert_eq!(found(&s.report), expected(&image));
    let notes = s.report["notes"].to_string();
    assert!(
        notes.contains("etc/os-release: a link or special file; not followed"),
        "{notes}"
    );
    assert!(notes.contains("1 entries with `..`"), "{notes}");
    assert!(!Path::new("/tmp/kaudit-escape").exists());
    assert_eq!(s.report["cached"], false);

    // A layout on disk names its own digests, which could be forged: it is read again each
    // time and never answers for a registry image of that digest.
    let again = scan(&["--oci-layout", layout.to_str().unwrap()], &db, dir.path());
    assert_eq!(again.report["cached"], false, "{}", again.stderr);
    assert_eq!(again.report["vulnerabilities"], s.report["vulnerabilities"]);
    let forged = scan(
        &[
            &format!("127.0.0.1:9/shop/web@{}", image.manifest.digest),
            "--registry-timeout",
            "1",
        ],
        &db,
        dir.path(),
    );
    assert_eq!(forged.code, Some(2), "{}", forged.report);
}

#[test]
fn a_docker_save_archive_gives_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = debian_image("amd64");
    let archive = dir.path().join("image.tar");
    images::write_archive(&archive, &image, "shop/web:1.0");
    let s = scan(&["--image-tar", archive.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    // A saved layer is its uncompressed tar, named by its diff id.
    let diff = |i: usize| images::sha256(&image.tars[i]);
    let mut want = vec![
        format!("CVE-2099-0001 libc-bin {}", diff(0)),
        format!("CVE-2099-0001 libc6 {}", diff(0)),
        format!("CVE-2099-0003 libc-bin {}", diff(0)),
        format!("CVE-2099-0003 libc6 {}", diff(0)),
        format!("CVE-2099-0004 libssl3 {}", diff(1)),
    ];
    want.sort();
    assert_eq!(found(&s.report), want);
}

#[test]
fn a_multi_platform_index_is_read_for_the_platform_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let amd = debian_image("amd64");
    // The arm64 image has glibc only.
    let arm = Image::new(
        vec![(
            images::tar(&[
                Entry::File("etc/debian_version", b"12.2\n"),
                Entry::File("var/lib/dpkg/status", GLIBC),
            ]),
            Compression::Gzip,
        )],
        "arm64",
    );
    let index = images::index(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    let layout = dir.path().join("layout");
    let blobs: Vec<&images::Blob> = amd.blobs().chain(arm.blobs()).collect();
    images::write_layout(&layout, &blobs, &index);
    let path = layout.to_str().unwrap();
    let on_arm = scan(
        &["--oci-layout", path, "--platform", "linux/arm64"],
        &db,
        dir.path(),
    );
    assert_eq!(on_arm.code, Some(0), "{}", on_arm.stderr);
    assert_eq!(on_arm.report["digest"], arm.manifest.digest.as_str());
    assert_eq!(on_arm.report["packages"], 2);
    let on_amd = scan(
        &["--oci-layout", path, "--platform", "linux/amd64"],
        &db,
        dir.path(),
    );
    assert_eq!(found(&on_amd.report), expected(&amd));
    let missing = scan(
        &["--oci-layout", path, "--platform", "linux/s390x"],
        &db,
        dir.path(),
    );
    assert_eq!(missing.code, Some(2));
    assert!(
        missing
            .stderr
            .contains("no linux/s390x image (it has linux/amd64, linux/arm64)"),
        "{}",
        missing.stderr
    );
}

#[test]
fn tampered_truncated_and_planted_blobs_are_refused_naming_image_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = debian_image("amd64");
    let blob_path = |layout: &Path, digest: &str| {
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let base = &image.layers[0].digest;

    // Same size, other bytes: the digest no longer matches.
    let tampered = dir.path().join("tampered");
    images::layout_of(&tampered, &image);
    let mut bytes = image.layers[0].bytes.clone();
    let last = bytes.len() - 9;
    bytes[last] ^= 0xff;
    std::fs::write(blob_path(&tampered, base), &bytes).unwrap();
    let s = scan(
        &["--oci-layout", tampered.to_str().unwrap()],
        &db,
        dir.path(),
    );
    assert_eq!(s.code, Some(2));
    assert!(s.stderr.contains(&format!("layer {base}")), "{}", s.stderr);
    assert!(
        s.stderr.contains("digest mismatch")
            || s.stderr.contains("corrupt")
            || s.stderr.contains("invalid"),
        "{}",
        s.stderr
    );

    // Cut short.
    let truncated = dir.path().join("truncated");
    images::layout_of(&truncated, &image);
    std::fs::write(
        blob_path(&truncated, base),
        &image.layers[0].bytes[..image.layers[0].bytes.len() / 2],
    )
    .unwrap();
    let s = scan(
        &["--oci-layout", truncated.to_str().unwrap()],
        &db,
        dir.path(),
    );
    assert_eq!(s.code, Some(2));
    assert!(s.stderr.contains(&format!("layer {base}")), "{}", s.stderr);

    // A blob that is a link to a file outside the layout.
    let planted = dir.path().join("planted");
    images::layout_of(&planted, &image);
    std::fs::remove_file(blob_path(&planted, base)).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", blob_path(&planted, base)).unwrap();
    let s = scan(
        &["--oci-layout", planted.to_str().unwrap()],
        &db,
        dir.path(),
    );
    assert_eq!(s.code, Some(2));
    assert!(
        s.stderr.contains("symbolic link; not followed"),
        "{}",
        s.stderr
    );

    // An index naming a path instead of a digest.
    let escape = dir.path().join("escape");
    images::layout_of(&escape, &image);
    std::fs::write(
        escape.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../etc/passwd","size":10}]}"#,
    )
    .unwrap();
    let s = scan(&["--oci-layout", escape.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(2));
    assert!(s.stderr.contains("not a sha256 digest"), "{}", s.stderr);
}

#[test]
fn oversized_files_and_layers_full_of_zeros_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    // A 65 MiB status file compresses to a few KiB.
    let huge = vec![b'\n'; 65 << 20];
    let bomb = Image::new(
        vec![(
            images::tar(&[
                Entry::File("etc/debian_version", b"12.2\n"),
                Entry::File("var/lib/dpkg/status", &huge),
            ]),
            Compression::Gzip,
        )],
        "amd64",
    );
    assert!(bomb.layers[0].bytes.len() < 1 << 20);
    let layout = dir.path().join("bomb");
    images::layout_of(&layout, &bomb);
    let s = scan(&["--oci-layout", layout.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    assert_eq!(s.report["packages"], 0);
    assert!(
        s.report["notes"]
            .to_string()
            .contains("var/lib/dpkg/status: larger than 64 MiB; not read"),
        "{}",
        s.report["notes"]
    );
}

#[test]
fn a_registry_image_is_scanned_then_answered_from_the_cache_by_digest() {
    let Some(registry) = registry::start_or_skip("registry scan", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let amd = debian_image("amd64");
    let arm = debian_image("arm64");
    let index = images::index(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    registry.push("shop/web", "1.0", &[&amd, &arm], Some(&index));

    let reference = format!("{}/shop/web:1.0", registry.addr);
    let s = scan(&[&reference, "--platform", "linux/amd64"], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    assert_eq!(s.report["digest"], amd.manifest.digest.as_str());
    assert_eq!(found(&s.report), expected(&amd));
    assert_eq!(s.report["cached"], false);

    // Unknown tags and repositories are "not found", not an empty image.
    let missing = scan(
        &[&format!("{}/shop/web:2.0", registry.addr)],
        &db,
        dir.path(),
    );
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("manifest 2.0 not found"),
        "{}",
        missing.stderr
    );

    // With the registry gone, the same image by digest is answered from the store.
    let by_digest = format!("{}/shop/web@{}", registry.addr, amd.manifest.digest);
    drop(registry);
    let again = scan(&[&by_digest, "--platform", "linux/amd64"], &db, dir.path());
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert_eq!(again.report["cached"], true);
    assert_eq!(found(&again.report), expected(&amd));
    // The matches were kept too: every field reads back the same.
    assert_eq!(again.report["vulnerabilities"], s.report["vulnerabilities"]);
    // And without the store, the absent registry is an error, never a clean image.
    let out = kaudit(
        &[
            "image",
            "scan",
            "--no-store",
            &by_digest,
            "--trivy-db",
            db.to_str().unwrap(),
            "--registry-timeout",
            "2",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("could not connect"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_registry_that_wants_a_login_gets_the_docker_config_credentials() {
    let Some(registry) = registry::start_or_skip("registry auth", Some(("auditor", "s3cret-pass")))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = debian_image("amd64");
    registry.push("shop/api", "1.0", &[&image], None);
    let reference = format!("{}/shop/api:1.0", registry.addr);

    let refused = scan(&[&reference], &db, dir.path());
    assert_eq!(refused.code, Some(2));
    assert!(
        refused
            .stderr
            .contains("authentication required or refused (401)")
            && refused.stderr.contains("the Docker config has none for it"),
        "{}",
        refused.stderr
    );

    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode("auditor:s3cret-pass");
    std::fs::create_dir_all(dir.path().join("docker")).unwrap();
    std::fs::write(
        dir.path().join("docker/config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.addr),
    )
    .unwrap();
    let s = scan(&[&reference], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    assert_eq!(found(&s.report), expected(&image));
    assert!(!s.stderr.contains("s3cret"));

    // A wrong password is refused, and the password is not repeated.
    let bad = base64::engine::general_purpose::STANDARD.encode("auditor:wrong-pass");
    std::fs::write(
        dir.path().join("docker/config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{bad}"}}}}}}"#, registry.addr),
    )
    .unwrap();
    let out = kaudit(
        &[
            "image",
            "scan",
            "--no-store",
            &reference,
            "--trivy-db",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("(401)") && !stderr.contains("wrong-pass"),
        "{stderr}"
    );
}

#[test]
fn python_and_node_packages_in_layers_are_matched_and_attributed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let base = images::tar(&[
        Entry::File("etc/debian_version", b"12.2\n"),
        Entry::File("var/lib/dpkg/status", GLIBC),
    ]);
    let python = images::tar(&[Entry::File(
        "usr/lib/python3/dist-packages/Werkzeug-0.11.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: Werkzeug\nVersion: 0.11\n\nA description\n",
    )]);
    let node = images::tar(&[
        Entry::File(
            "app/node_modules/jquery/package.json",
            br#"{"name":"jquery","version":"3.3.9"}"#,
        ),
        // A subpath helper, not a package.
        Entry::File(
            "app/node_modules/jquery/dist/package.json",
            br#"{"name":"x","version":"9.9.9"}"#,
        ),
        Entry::File(
            "app/node_modules/left-pad/package.json",
            br#"{"name":"left-pad","version":"1.3.0"}"#,
        ),
    ]);
    let image = Image::new(
        vec![
            (base, Compression::Gzip),
            (python, Compression::Gzip),
            (node, Compression::Zstd),
        ],
        "amd64",
    );
    let layout = dir.path().join("layout");
    images::layout_of(&layout, &image);
    let s = scan(&["--oci-layout", layout.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    assert_eq!(s.report["language_packages"], 3);
    let row = |id: &str| {
        s.report["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {}", s.report))
    };
    let werkzeug = row("CVE-2099-0101");
    assert_eq!(werkzeug["package"], "Werkzeug");
    assert_eq!(werkzeug["package_type"], "python-pkg");
    assert_eq!(werkzeug["fixed_version"], "0.15.3");
    assert_eq!(werkzeug["severity"], "HIGH");
    assert_eq!(werkzeug["layer"], image.layers[1].digest.as_str());
    assert_eq!(
        werkzeug["package_path"],
        "usr/lib/python3/dist-packages/Werkzeug-0.11.dist-info/METADATA"
    );
    let jquery = row("CVE-2099-0102");
    assert_eq!(jquery["package_type"], "node-pkg");
    assert_eq!(jquery["fixed_version"], ">=3.4.0");
    assert_eq!(jquery["layer"], image.layers[2].digest.as_str());
    // A later layer that deletes the package (a whiteout) takes its vulnerability away.
    let mut layers: Vec<(Vec<u8>, Compression)> = image
        .tars
        .iter()
        .map(|t| (t.clone(), Compression::Gzip))
        .collect();
    layers.push((
        images::tar(&[Entry::File("app/node_modules/.wh.jquery", b"")]),
        Compression::Gzip,
    ));
    let pruned = Image::new(layers, "amd64");
    let pruned_layout = dir.path().join("pruned");
    images::layout_of(&pruned_layout, &pruned);
    let p = scan(
        &["--oci-layout", pruned_layout.to_str().unwrap()],
        &db,
        dir.path(),
    );
    assert_eq!(p.report["language_packages"], 2, "{}", p.stderr);
    assert!(
        !p.report["vulnerabilities"]
            .to_string()
            .contains("CVE-2099-0102")
    );
    // The same packages from an unpacked root.
    let root = dir.path().join("root");
    for (path, data) in [
        ("etc/debian_version", &b"12.2\n"[..]),
        ("var/lib/dpkg/status", GLIBC),
        (
            "usr/lib/python3/dist-packages/Werkzeug-0.11.dist-info/METADATA",
            b"Name: Werkzeug\nVersion: 0.11\n",
        ),
        (
            "app/node_modules/jquery/package.json",
            br#"{"name":"jquery","version":"3.3.9"}"#,
        ),
    ] {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), data).unwrap();
    }
    let r = scan(&["--rootfs", root.to_str().unwrap()], &db, dir.path());
    assert_eq!(r.report["language_packages"], 2, "{}", r.stderr);
    let ids: Vec<&str> = r.report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"CVE-2099-0101") && ids.contains(&"CVE-2099-0102"),
        "{ids:?}"
    );
}

/// A Go program built here (`go build`; skips loudly without Go unless KAUDIT_REQUIRE_E2E is
/// set): found among the layer's executables as it streams past, its stdlib matched.
#[test]
fn a_go_binary_in_a_layer_is_read_for_its_modules() {
    let go = ["/usr/local/go/bin/go", "/usr/bin/go"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let Some(go) = go else {
        assert!(
            std::env::var_os("KAUDIT_REQUIRE_E2E").is_none(),
            "Go is required to build the test binary (KAUDIT_REQUIRE_E2E is set)"
        );
        eprintln!("\n*** SKIPPED Go binary test: no Go toolchain ***\n");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("go.mod"), "module example.com/hello\n\ngo 1.21\n").unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
    )
    .unwrap();
    let out = Command::new(&go)
        .args(["build", "-o", "hello", "."])
        .current_dir(&src)
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", dir.path().join("gocache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = std::fs::read(src.join("hello")).unwrap();
    let db = db(dir.path());
    let image = Image::new(
        vec![
            (
                images::tar(&[
                    Entry::File("etc/debian_version", b"12.2\n"),
                    Entry::File("var/lib/dpkg/status", GLIBC),
                ]),
                Compression::Gzip,
            ),
            (
                images::tar(&[Entry::Exec("usr/local/bin/hello", &binary)]),
                Compression::Zstd,
            ),
        ],
        "amd64",
    );
    let layout = dir.path().join("layout");
    images::layout_of(&layout, &image);
    let s = scan(&["--oci-layout", layout.to_str().unwrap()], &db, dir.path());
    assert_eq!(s.code, Some(0), "{}", s.stderr);
    let stdlib = s.report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "CVE-2099-0103")
        .cloned()
        .unwrap_or_else(|| panic!("{}", s.report));
    assert_eq!(stdlib["package"], "stdlib");
    assert_eq!(stdlib["package_type"], "gobinary");
    assert_eq!(stdlib["package_path"], "usr/local/bin/hello");
    assert_eq!(stdlib["layer"], image.layers[1].digest.as_str());
    assert!(
        stdlib["installed_version"]
            .as_str()
            .unwrap()
            .starts_with("v1.")
    );
}
