//! Each subcommand shows and takes only its own options: `kaudit rules --help` does not
//! list the TUI's theme or a kubeconfig, and an option a subcommand does not use is
//! refused rather than silently ignored.

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn kaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env(
            "KAUDIT_DATA_DIR",
            std::env::temp_dir().join("kaudit-cli-options"),
        )
        .output()
        .expect("run kaudit")
}

/// The long options a help text lists.
fn options(command: &str) -> BTreeSet<String> {
    let mut args: Vec<&str> = command.split_whitespace().collect();
    args.push("--help");
    let out = kaudit(&args);
    assert_eq!(out.status.code(), Some(0), "{command} --help");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix('-')
                .filter(|l| !l.starts_with('-'))
                .map_or(line, |l| l.split_once(", ").map_or(l, |(_, rest)| rest));
            let flag = line.strip_prefix("--")?;
            let name: String = flag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then(|| format!("--{name}"))
        })
        .collect()
}

fn set(flags: &str) -> BTreeSet<String> {
    flags.split_whitespace().map(str::to_string).collect()
}

const SOURCE: &str = "--manifests --snapshot --demo";
const CLUSTER: &str =
    "--context --kubeconfig --cluster --user --namespace --all-namespaces --request-timeout";
const TUI: &str = "--theme --mouse --author";
const LOGS: &str = "--audit-log --audit-policy";
const FILTERS: &str = "--audit-allow-user --audit-allow-namespace --audit-allow-image \
     --audit-allow-namespace-create --audit-allow-node --follow --since --until";

#[test]
fn small_subcommands_list_exactly_their_options() {
    let cases = [
        ("rules", "--format --falco --help"),
        ("keys", "--help"),
        ("info", "--help"),
        (
            "history",
            "--format --limit --context --manifests --data-dir --help",
        ),
        ("store path", "--data-dir --help"),
        ("store vacuum", "--data-dir --help"),
        (
            "triage list",
            "--format --context --manifests --data-dir --help",
        ),
        (
            "triage export",
            "--output --context --manifests --data-dir --help",
        ),
        (
            "db update",
            "--repository --java --data-dir --insecure-registry --registry-timeout --help",
        ),
        (
            "db status",
            "--format --data-dir --trivy-db --java-db --help",
        ),
        ("lab list", "--format --help"),
        ("lab start", "--for-cluster --help"),
        ("lab hint", "--help"),
        (
            "lab exam",
            "--tasks --minutes --seed --finish --format --data-dir --help",
        ),
        ("lab status", "--format --data-dir --help"),
        (
            "image verify",
            "--format --key --certificate-identity --certificate-identity-regexp \
             --certificate-oidc-issuer --certificate-oidc-issuer-regexp --trusted-root \
             --platform --insecure-registry --registry-timeout --help",
        ),
        (
            "image scan",
            "--oci-layout --image-tar --rootfs --format --fail-on --trivy-db --java-db \
             --platform --insecure-registry --registry-timeout --data-dir --no-store --help",
        ),
    ];
    for (command, expected) in cases {
        assert_eq!(options(command), set(expected), "kaudit {command} --help");
    }
    let lab_check = set(&format!("--format --help {CLUSTER}"));
    assert_eq!(options("lab check"), lab_check);
    let snapshot = set(&format!("--output --help {CLUSTER}"));
    assert_eq!(options("snapshot"), snapshot);
}

#[test]
fn audit_subcommands_take_the_groups_they_use() {
    let pss = options("pss");
    assert_eq!(
        pss,
        set(&format!(
            "--level --version --format --live --help {SOURCE} {CLUSTER}"
        )),
        "pss takes a source and its own --version, not --pss-version"
    );
    let audit_log = options("audit-log");
    assert_eq!(
        audit_log,
        set(&format!(
            "--format --output --fail-on --policy --demo --help {FILTERS} --exemptions --data-dir --no-store"
        )),
    );
    let scan = options("scan");
    for flag in set(&format!(
        "{SOURCE} {CLUSTER} {LOGS} {FILTERS} --key --scan-images"
    )) {
        assert!(scan.contains(&flag), "scan lists {flag}");
    }
    for flag in set(TUI) {
        assert!(!scan.contains(&flag), "scan does not list the TUI's {flag}");
    }
    let demo = options("demo");
    for flag in set(&format!("{SOURCE} {CLUSTER}")) {
        assert!(!demo.contains(&flag), "demo is its own source: no {flag}");
    }
    for flag in set(&format!("{TUI} {LOGS} --key")) {
        assert!(demo.contains(&flag), "demo lists {flag}");
    }
    // `kaudit` alone is the TUI on a source: it takes everything.
    let tui = options("");
    for flag in set(&format!("{SOURCE} {CLUSTER} {TUI} {LOGS} {FILTERS} --key")) {
        assert!(tui.contains(&flag), "kaudit lists {flag}");
    }
}

#[test]
fn an_option_a_subcommand_does_not_use_is_refused() {
    for args in [
        &["rules", "--theme", "dark"][..],
        &["rules", "--kubeconfig", "x"],
        &[
            "pss",
            "--level",
            "baseline",
            "--pss-version",
            "v1.30",
            "--demo",
        ],
        &["audit-log", "--demo", "--manifests", "x"],
        &["snapshot", "-o", "x", "--demo"],
        // Options before a subcommand are the TUI's; they no longer reach the subcommand
        // unnoticed.
        &["--demo", "scan"],
    ] {
        let out = kaudit(args);
        assert_eq!(out.status.code(), Some(2), "kaudit {args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error:"),
            "kaudit {args:?} says why"
        );
    }
    // What each does take still works.
    let out = kaudit(&["pss", "--level", "baseline", "--demo", "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "pss --demo");
    assert!(!out.stdout.is_empty());
}
