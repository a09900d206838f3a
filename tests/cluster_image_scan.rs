//! `--scan-images`: an audit scans the images its workloads run, from Debian's
//! `docker-registry` on 127.0.0.1: by the digest a pod's status names, for the platform of
//! the pod's node, from kaudit's per-digest cache the second time.

#[path = "common/debian_images.rs"]
mod debian_images;
#[path = "common/images.rs"]
mod images;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/trivydb.rs"]
mod trivydb;

use debian_images::{db, debian_image, kaudit};
use images::{Compression, Entry, Image};
use serde_json::Value;

#[test]
fn an_audit_scans_the_images_its_workloads_run() {
    let Some(registry) = registry::start_or_skip("audit --scan-images", None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let image = debian_image("amd64");
    registry.push("shop/web", "1.0", &[&image], None);
    let addr = &registry.addr;
    let manifests = dir.path().join("k8s");
    std::fs::create_dir_all(&manifests).unwrap();
    // A Deployment by tag, and a Pod whose status says which digest runs (its tag has since
    // been deleted from the registry: only the digest can be read).
    std::fs::write(
        manifests.join("web.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n      - name: web\n        image: {addr}/shop/web:1.0\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: batch, namespace: shop}}\nspec:\n  containers:\n  - name: batch\n    image: {addr}/shop/web:gone\nstatus:\n  containerStatuses:\n  - name: batch\n    imageID: {addr}/shop/web@{}\n",
            image.manifest.digest
        ),
    )
    .unwrap();
    let audit = || {
        let out = kaudit(
            &[
                "scan",
                "--manifests",
                manifests.to_str().unwrap(),
                "--scan-images",
                "--trivy-db",
                db.to_str().unwrap(),
                "--format",
                "json",
            ],
            dir.path(),
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        assert!(
            report.is_object(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        report
    };
    let report = audit();
    let fired = |report: &Value, rule: &str| -> Vec<String> {
        let mut containers: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["subject"]["container"].as_str().unwrap().to_string())
            .collect();
        containers.sort();
        containers
    };
    // glibc's high vulnerability with a fix runs in both containers.
    assert_eq!(
        fired(&report, "VUL002"),
        ["batch", "web"],
        "{}",
        report["source"]["notes"]
    );
    let notes = report["source"]["notes"].to_string();
    assert!(
        notes.contains("2 of 2 images scanned ("), // both name one digest: one may find the other's work
        "{notes}"
    );
    let summary = &report["vulnerabilities"];
    assert!(
        summary["source"]
            .as_str()
            .unwrap()
            .contains("kaudit's scan"),
        "{summary}"
    );

    // The second audit reads no layer: both digests come from the store.
    let again = audit();
    assert_eq!(fired(&again, "VUL002"), ["batch", "web"]);
    let notes = again["source"]["notes"].to_string();
    assert!(
        notes.contains("2 of 2 images scanned (2 from kaudit's per-digest cache)"),
        "{notes}"
    );
}

#[test]
fn each_pod_is_judged_on_the_platform_of_its_node() {
    let Some(registry) = registry::start_or_skip("audit --scan-images per node platform", None)
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    // One index: the amd64 image carries the vulnerable glibc, the arm64 one no packages.
    let amd = debian_image("amd64");
    let arm = Image::new(
        vec![(
            images::tar(&[
                Entry::File("etc/debian_version", b"12.2\n"),
                Entry::File("var/lib/dpkg/status", b""),
            ]),
            Compression::Gzip,
        )],
        "arm64",
    );
    let index = images::index(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    registry.push("shop/web", "1.0", &[&amd, &arm], Some(&index));
    let addr = &registry.addr;
    let index_digest = index.digest.clone();
    let manifests = dir.path().join("k8s");
    std::fs::create_dir_all(&manifests).unwrap();
    let pod = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  nodeName: {node}\n  containers:\n  - name: {name}\n    image: {addr}/shop/web:1.0\nstatus:\n  containerStatuses:\n  - name: {name}\n    imageID: {addr}/shop/web@{index_digest}\n"
        )
    };
    let node = |name: &str, arch: &str| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/arch: {arch}, kubernetes.io/os: linux}}\nstatus:\n  nodeInfo: {{architecture: {arch}, operatingSystem: linux}}\n"
        )
    };
    std::fs::write(
        manifests.join("cluster.yaml"),
        [
            node("graviton-1", "arm64"),
            node("xeon-1", "amd64"),
            pod("edge", "graviton-1"),
            pod("core", "xeon-1"),
        ]
        .join("---\n"),
    )
    .unwrap();
    let out = kaudit(
        &[
            "scan",
            "--manifests",
            manifests.to_str().unwrap(),
            "--scan-images",
            "--trivy-db",
            db.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir.path(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        report.is_object(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fired: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "VUL002")
        .map(|f| f["subject"]["container"].as_str().unwrap())
        .collect();
    // The pod on the arm64 node runs the clean image; the one on amd64 the vulnerable one.
    assert_eq!(fired, ["core"], "{}", report["source"]["notes"]);
    let notes = report["source"]["notes"].to_string();
    assert!(notes.contains("2 of 2 images scanned"), "{notes}");
}
