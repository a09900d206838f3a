//! Driving the real binary in a real terminal: tmux sessions, keys and screen captures.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: std::path::PathBuf,
}

impl Tmux {
    /// A detached session `kaudit` of `cols` x `rows` in `dir` (whose socket it uses)
    /// running `command`.
    pub fn start(dir: &std::path::Path, cols: u16, rows: u16, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: dir.join("tmux.sock"),
        };
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let cwd = dir.to_str().expect("UTF-8 temp path");
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "kaudit",
            "-x",
            &cols,
            "-y",
            &rows,
            "-c",
            cwd,
            command,
        ]);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "kaudit"])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "kaudit"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until the screen shows `text`; panics with the screen after 10 seconds.
    pub fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("{text:?} never appeared; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// False (after a loud message) when tmux is missing and the end-to-end tests may skip;
/// a failure when `KAUDIT_REQUIRE_E2E` says they must run.
pub fn tmux_or_skip(test: &str) -> bool {
    if tmux_available() {
        return true;
    }
    assert!(
        std::env::var_os("KAUDIT_REQUIRE_E2E").is_none(),
        "tmux is required (KAUDIT_REQUIRE_E2E is set)"
    );
    eprintln!("\n*** SKIPPED {test}: tmux is not installed ***\n");
    false
}

pub fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}
