//! `kaudit lab` in cluster mode: the scenario written for `kubectl apply`, the live state
//! graded read-only through the loopback test API server (tests/common/apiserver.rs), a
//! stand-in for kube-apiserver since none can be installed here.

mod common;

use common::apiserver::{Options, TestApiServer};
use kaudit::lab::catalog;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

/// The objects of a task's files (`manifests/...`) as the API server would hold them.
fn objects(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Vec<Value> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        if !path.starts_with("manifests/") {
            continue;
        }
        let text = String::from_utf8(bytes.clone()).unwrap();
        for doc in kaudit::yaml::split_documents(&text) {
            if let Some(doc) = kaudit::yaml::parse_document(doc).unwrap() {
                out.push(doc.value);
            }
        }
    }
    out
}

fn kubeconfig(dir: &Path, server: &TestApiServer) -> std::path::PathBuf {
    std::fs::write(dir.join("ca.crt"), &server.ca_pem).unwrap();
    let config = json!({"apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "practice", "cluster": {"server": server.url, "certificate-authority": "ca.crt"}}],
        "users": [{"name": "admin", "user": {"token": "admin-token"}}],
        "contexts": [{"name": "practice", "context": {"cluster": "practice", "user": "admin"}}],
        "current-context": "practice"});
    let path = dir.join("kubeconfig");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn kaudit(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env("HOME", home)
        .env("KAUDIT_DATA_DIR", home)
        .env("KAUDIT_CONFIG_DIR", home)
        .env_remove("KUBECONFIG")
        .env_remove("KAUDIT_LAB_TASKS")
        .output()
        .expect("run kaudit")
}

#[test]
fn a_task_is_graded_on_the_live_cluster_read_only() {
    let task = catalog::find("default-deny").unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = home.path().join("work");
    let work_s = work.to_str().unwrap();
    let out = kaudit(
        home.path(),
        &["lab", "start", "default-deny", work_s, "--for-cluster"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(work.join("TASK.md")).unwrap();
    assert!(
        text.contains("kubectl apply") && text.contains("--context"),
        "{text}"
    );

    // The student applied the scenario: the cluster holds it, and the task fails there.
    let server = TestApiServer::start(Options::default());
    server.add(objects(&task.scenario));
    let kc = kubeconfig(home.path(), &server);
    let kc_s = kc.to_str().unwrap();
    let check = |home: &Path| {
        kaudit(
            home,
            &[
                "lab",
                "check",
                "default-deny",
                work_s,
                "--kubeconfig",
                kc_s,
                "--context",
                "practice",
                "--format",
                "json",
            ],
        )
    };
    let out = check(home.path());
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grade: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(grade["passed"], false);

    // The fix applied with kubectl: the same check passes on the live state.
    server.add(objects(&task.solution));
    let out = check(home.path());
    let grade: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{grade:#}");
    assert!(
        grade["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true)
    );
    // Read-only: nothing but reads (and self reviews) reached the server.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.contains("selfsubject")),
        "only reads"
    );
}
