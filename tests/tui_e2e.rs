//! The real binary in a real terminal (tmux): start the demo, go to a finding, filter, open
//! it, export Markdown, quit; check the screen at each step and the exported file.

mod common;

use common::tmux::{Tmux, tmux_or_skip};
use std::path::Path;

#[test]
fn demo_session_in_a_real_terminal() {
    if !tmux_or_skip("demo_session_in_a_real_terminal") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_kaudit");
    let cwd = dir.path().to_str().unwrap();
    let command = format!(
        "env KAUDIT_CONFIG_DIR={cwd}/config KAUDIT_DATA_DIR={cwd}/data TERM=xterm-256color {bin} demo; echo KAUDIT-EXITED-$?; sleep 30"
    );
    let tmux = Tmux::start(Path::new(cwd), 100, 30, &command);

    tmux.wait_for("Score by area");
    tmux.keys(&[":findings", "Enter"]);
    tmux.wait_for("Findings by severity");
    tmux.keys(&["/", "pod008", "Enter"]);
    tmux.wait_for("[1/1] </pod008>");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Container runtime socket mounted");
    assert!(screen.contains("/var/run/docker.sock"), "{screen}");
    // The YAML arrives a frame later; it marks the offending line.
    tmux.wait_for(">           path: /var/run/docker.sock");
    tmux.keys(&["e"]);
    tmux.wait_for("Export report");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("wrote ./kaudit-report-");
    let exported: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert_eq!(exported.len(), 1, "{screen}");
    let md = std::fs::read_to_string(&exported[0]).unwrap();
    assert!(md.starts_with("# kaudit report") && md.contains("POD008"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("KAUDIT-EXITED-0");
    // The terminal is back to normal: the shell's output is on the main screen.
    assert!(!screen.contains("Score by area"), "{screen}");
    assert!(
        Path::new(&format!("{cwd}/data/kaudit.log")).exists(),
        "the log goes to the data folder, not the screen"
    );
}

/// `--follow` in the real binary: an exec written to the log after start appears in the
/// Audit view without a restart.
#[test]
fn followed_audit_log_in_a_real_terminal() {
    if !tmux_or_skip("followed_audit_log_in_a_real_terminal") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/audit.log"),
        &log,
    )
    .unwrap();
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scan/risky.yaml");
    let cwd = dir.path().to_str().unwrap();
    let command = format!(
        "env KAUDIT_CONFIG_DIR={cwd}/config KAUDIT_DATA_DIR={cwd}/data TERM=xterm-256color {} --manifests {} --audit-log {} --follow; sleep 30",
        env!("CARGO_BIN_EXE_kaudit"),
        manifests.display(),
        log.display()
    );
    let tmux = Tmux::start(Path::new(cwd), 140, 40, &command);
    tmux.wait_for("Score by area");
    tmux.keys(&[":audit", "Enter"]);
    tmux.wait_for("47 events read");
    let line = r#"{"kind":"Event","auditID":"late-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web/exec?command=sh","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2026-11-20T09:10:00Z"}"#;
    use std::io::Write;
    let mut out = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(out, "{line}").unwrap();
    let screen = tmux.wait_for("audit log: 1 new events (48 in all)");
    assert!(screen.contains("48 events read"), "{screen}");
    tmux.keys(&["q"]);
}
