//! Hostile input (issue: no abort, no unbounded memory): documents built to overflow the
//! stack or exhaust memory are refused with a message naming the file, and the rest of the
//! input is still audited. Each case runs the real binary, so an abort fails the test
//! instead of killing the test harness.

use std::path::Path;
use std::process::{Command, Output};

const GOOD_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: nginx:1.27}]\n";

fn scan_json(dir: &Path) -> (Output, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--format", "json", "--manifests"])
        .arg(dir)
        .output()
        .expect("run kaudit");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, report)
}

fn input_errors(report: &serde_json::Value) -> Vec<String> {
    report["input_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{}: {}", e["file"], e["message"]))
        .collect()
}

/// Deep block sequences and mappings: each file gets "nesting deeper than 512 levels" and
/// the good file beside them is audited. (yaml-rust2's loader recursed once per level: 30,000
/// levels overflowed the stack and aborted the run with rc 134.)
#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    std::fs::write(dir.path().join("seq.yaml"), "- ".repeat(10_000) + "1").unwrap();
    std::fs::write(dir.path().join("deep-seq.yaml"), "- ".repeat(40_000) + "1").unwrap();
    let mut mapping = String::new();
    for i in 0..10_000 {
        mapping.push_str(&" ".repeat(i));
        mapping.push_str("a:\n");
    }
    std::fs::write(dir.path().join("map.yaml"), mapping).unwrap();
    std::fs::write(dir.path().join("flow.json"), "[".repeat(50_000)).unwrap();
    let (out, report) = scan_json(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report["summary"]["workloads"], 1,
        "the good file is audited"
    );
    let errors = input_errors(&report);
    for file in ["seq.yaml", "deep-seq.yaml", "map.yaml"] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(file) && e.contains("nesting deeper than 512 levels")),
            "{file}: {errors:?}"
        );
    }
    assert!(errors.iter().any(|e| e.contains("flow.json")), "{errors:?}");
}

/// A 1 MiB anchored string aliased 10,000 times is ten gigabytes expanded; the node count
/// alone let it through.
#[test]
fn an_alias_bomb_on_a_big_string_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    let mut bomb = format!("big: &b \"{}\"\nlist:\n", "x".repeat(1 << 20));
    for _ in 0..10_000 {
        bomb.push_str("  - *b\n");
    }
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    let started = std::time::Instant::now();
    let (out, report) = scan_json(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["summary"]["workloads"], 1);
    let errors = input_errors(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("bomb.yaml") && e.contains("alias bomb")),
        "{errors:?}"
    );
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
}

/// File names are input too: an escape sequence in one never reaches the terminal, whether
/// the file is reported as unreadable or named in a fatal error.
#[test]
fn escape_sequences_in_file_names_do_not_reach_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "bad\u{1b}]0;owned\u{7}.yaml";
    std::fs::write(dir.path().join(evil), "a: [unclosed").unwrap();
    std::fs::write(dir.path().join("good.yaml"), GOOD_POD).unwrap();
    let (out, _) = scan_json(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not read"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );

    let missing = dir.path().join("exemptions\u{1b}[2J.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--demo", "--exemptions"])
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("exemptions file"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// Small ones: a time offset no clock has, a window that ends before it starts, and where
/// the problems of an unreadable log were written.
#[test]
fn impossible_windows_and_where_problems_went() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(args)
            .output()
            .expect("run kaudit")
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(&log, "not json\n").unwrap();
    let log = log.to_str().unwrap();

    let out = run(&["audit-log", "--since", "1970-01-01T00:00:00+99:99", log]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid time"));

    let out = run(&[
        "audit-log",
        "--since",
        "2026-01-02T00:00:00Z",
        "--until",
        "2026-01-01T00:00:00Z",
        log,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not before --until"));

    let report = dir.path().join("report.txt");
    let out = run(&["audit-log", "-o", report.to_str().unwrap(), log]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the problems are listed in"), "{stderr}");
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .contains("not JSON")
    );
}

/// Reads are bounded by bytes whatever the file type: a device or a pipe has no size to
/// check first. (`--manifests /dev/zero`, `yes 'a: b' | kaudit scan --manifests -` and
/// `audit-log /dev/zero` grew to gigabytes or never ended.)
#[test]
fn devices_and_endless_pipes_are_bounded() {
    use std::io::Write;
    let started = std::time::Instant::now();
    // Nothing else to read: the problem is the error.
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--format", "json", "--manifests", "/dev/zero"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        said.contains("/dev/zero: more than 256.0 MiB of input"),
        "{said}"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--format", "json", "--manifests", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = "a: b\n".repeat(100_000);
        // Until kaudit stops reading (the pipe closes): more than the limit in all.
        while stdin.write_all(chunk.as_bytes()).is_ok() {}
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("<stdin>: more than 256.0 MiB of input"),
        "{said}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["audit-log", "/dev/zero"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("without a line break"), "{said}");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
}

/// A name with a right-to-left override or a zero-width space reads as another name; reports
/// show such characters as visible escapes, and JSON writes them (and C1 controls) as
/// `\uXXXX` so the file is safe to read in a terminal and parses to the same name.
#[test]
fn invisible_characters_in_names_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: \"ad\u{202e}nimda\u{200b}\u{85}\", namespace: shop}\nspec:\n  containers: [{name: web, image: nginx:1.27}]\n",
    )
    .unwrap();
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(["scan", "--format", format, "--manifests"])
            .arg(dir.path())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let md = run("md");
    assert!(md.contains("\\u202e") && md.contains("\\u200b"), "{md}");
    assert!(!md.contains('\u{202e}') && !md.contains('\u{200b}') && !md.contains('\u{85}'));
    let json = run("json");
    assert!(
        !json.contains('\u{202e}') && !json.contains('\u{85}'),
        "raw in JSON"
    );
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["subject"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"ad\u{202e}nimda\u{200b}\u{85}"),
        "the same name when parsed"
    );
}

/// Object names that look like addresses do not become links in rendered Markdown (GitHub
/// links `www.` and `scheme://` wherever they stand): outside code spans they are escaped.
#[test]
fn names_do_not_become_links_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: www.evil.example, namespace: shop}\nspec:\n  containers: [{name: web, image: nginx:1.27}]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["scan", "--format", "md", "--manifests"])
        .arg(dir.path())
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("www\\.evil.example"), "{md}");
    for line in md.lines() {
        for (i, part) in line.split('`').enumerate() {
            assert!(
                i % 2 == 1 || !part.contains("www.evil"),
                "a link in the making: {line}"
            );
        }
    }
}
