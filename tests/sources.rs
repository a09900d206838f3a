//! Sources without a cluster: Helm output, `kind: List` in JSON, every workload kind, stdin.

use std::io::Write;
use std::process::{Command, Stdio};

fn pss_lines(args: &[&str], stdin: Option<&str>) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["pss", "--level", "baseline", "--format", "json"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_workload_kind_is_evaluated_through_its_template() {
    let lines = pss_lines(&["tests/fixtures/kinds/all-kinds.json"], None);
    let got: Vec<(String, String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["reasons"][0].as_str().unwrap_or("").to_string(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("DaemonSet", "host namespaces (hostNetwork=true)"),
        ("StatefulSet", "host namespaces (hostPID=true)"),
        ("ReplicaSet", "host namespaces (hostIPC=true)"),
        (
            "ReplicationController",
            "privileged (container \"c\" must not set securityContext.privileged=true)",
        ),
        ("Job", "hostPort (container \"c\" uses hostPort 8080)"),
        ("CronJob", "hostPath volumes (volume \"h\")"),
        (
            "PodTemplate",
            "procMount (container \"c\" must not set securityContext.procMount to \"Unmasked\")",
        ),
    ];
    assert_eq!(got.len(), expect.len());
    for ((kind, reason, _), (want_kind, want_reason)) in got.iter().zip(expect) {
        assert_eq!((kind.as_str(), reason.as_str()), (want_kind, want_reason));
    }
    // Each List entry keeps its own line in the JSON file.
    let lines_seen: Vec<u64> = got.iter().map(|g| g.2).collect();
    assert_eq!(lines_seen, [5, 7, 9, 11, 13, 15, 17]);
}

#[test]
fn helm_output_with_source_comments_and_empty_documents() {
    let lines = pss_lines(&["tests/fixtures/kinds/helm-output.yaml"], None);
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["release-webapp", "release-webapp-test-connection"]);
    assert!(lines.iter().all(|l| l["allowed"] == true));
    assert_eq!(lines[0]["line"], 13);
}

#[test]
fn manifests_from_standard_input() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: piped}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: x}]\n";
    let lines = pss_lines(&["-"], Some(pod));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "<stdin>");
    assert_eq!(lines[0]["reasons"][0], "host namespaces (hostNetwork=true)");
}

/// Typing objects on the reading threads as files are parsed (what `--manifests` does) and
/// typing them after everything is read give the same inventory, errors included.
#[test]
fn typing_while_reading_matches_typing_afterwards() {
    use kaudit::inventory::{SourceInfo, build};
    let dirs = [
        std::path::PathBuf::from("tests/fixtures/kinds"),
        std::path::PathBuf::from("tests/fixtures/bad"),
    ];
    let streamed = kaudit::sources::from_manifests(&dirs);
    let afterwards = build::from_loaded(
        SourceInfo::new("manifests", "x", false, false),
        kaudit::sources::manifests::load_paths(&dirs),
    );
    let names = |inv: &kaudit::inventory::Inventory| {
        inv.workloads
            .iter()
            .map(|w| {
                format!(
                    "{}/{}/{} {}",
                    w.kind.as_str(),
                    w.namespace,
                    w.name,
                    w.origin
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(streamed.workloads.len() >= 8, "{:?}", names(&streamed));
    assert_eq!(names(&streamed), names(&afterwards));
    assert!(
        !streamed.errors.is_empty(),
        "the bad fixtures report errors"
    );
    assert_eq!(streamed.errors, afterwards.errors);
    assert_eq!(streamed.files_read, afterwards.files_read);
    assert_eq!(streamed.kinds_seen, afterwards.kinds_seen);
    assert_eq!(streamed.unaudited, afterwards.unaudited);
}

/// A folder with a link loop and a FIFO: each file is read once, the loop and the FIFO are
/// said and skipped, and the scan ends.
#[test]
fn link_loops_and_fifos_in_a_folder_are_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: nginx}]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("again")).unwrap();
    let fifo = dir.path().join("pipe.yaml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let inv = kaudit::sources::from_manifests(&[dir.path().to_path_buf()]);
    assert_eq!(inv.workloads.len(), 1, "read once, not once per loop");
    let errors: Vec<String> = inv.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("a link back to")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("pipe.yaml") && e.contains("not a regular file")),
        "{errors:?}"
    );
}
