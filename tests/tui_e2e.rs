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
    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    let bin = env!("CARGO_BIN_EXE_kaudit");
    let cwd = dir.path().to_str().unwrap();
    let command = format!(
        "env KAUDIT_CONFIG_DIR={cwd}/config KAUDIT_DATA_DIR={cwd}/data TERM=xterm-256color {bin} demo; echo KAUDIT-EXITED-$?; sleep 30"
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "kaudit",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        cwd,
        &command,
    ]);

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
