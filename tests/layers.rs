//! The layers of DESIGN.md, held: the engine imports no source, report, session, TUI or CLI
//! code; sources, the audit-log analysis, reports and the session import neither the TUI
//! nor the CLI; only `cli/` sees clap. Reads every file under `src/` (test modules aside) and
//! fails naming each import across a layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ENGINE: &[&str] = &[
    "inventory",
    "checks",
    "pss",
    "findings",
    "rules",
    "triage",
    "severity",
    "engine",
];
const NOT_FOR_ENGINE: &[&str] = &["sources", "report", "session", "tui", "cli"];
const NO_UI: &[&str] = &["sources", "auditlog", "report", "session", "lab"];
const UI: &[&str] = &["tui", "cli"];

/// The top-level modules a piece of Rust names through `crate::`, including inside
/// `use crate::{a, b::c}` groups.
fn crate_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` in macros and `kaudit_crate::` are not this crate's paths.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut ident = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !ident.is_empty() {
                            found.insert(std::mem::take(&mut ident));
                        }
                        item_start = true;
                    }
                    c if item_start && (c.is_alphanumeric() || c == '_') => ident.push(c),
                    _ if item_start && !ident.is_empty() => {
                        found.insert(std::mem::take(&mut ident));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !ident.is_empty() {
                found.insert(ident);
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                found.insert(ident);
            }
        }
    }
    found.remove("self");
    found
}

/// The code of a file without its test module (tests may reach across layers) and its
/// comments (a doc link is no import).
fn without_tests(code: &str) -> String {
    let code = code.split("#[cfg(test)]").next().unwrap_or(code);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/checks/rbac.rs` -> `checks`; `src/engine.rs` -> `engine`.
fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Every import across a layer, as `file -> module`.
fn violations(module: &str, code: &str) -> Vec<String> {
    let code = &without_tests(code);
    let forbidden: &[&str] = if ENGINE.contains(&module) {
        NOT_FOR_ENGINE
    } else if NO_UI.contains(&module) {
        UI
    } else {
        &[]
    };
    let mut out: Vec<String> = crate_modules(code)
        .into_iter()
        .filter(|m| m != module && forbidden.contains(&m.as_str()))
        .collect();
    if module != "cli" && (code.contains("clap::") || code.contains("use clap")) {
        out.push("clap".into());
    }
    out
}

#[test]
fn no_import_crosses_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "read {} files", files.len());
    let mut broken = Vec::new();
    for file in &files {
        let code = std::fs::read_to_string(file).expect("a source file");
        let module = top_module(&src, file);
        for target in violations(&module, &code) {
            broken.push(format!("{} -> {target}", file.display()));
        }
    }
    assert!(
        broken.is_empty(),
        "imports across layers (see DESIGN.md):\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_check_sees_every_way_of_importing() {
    assert_eq!(
        violations("checks", "use crate::report::Report;"),
        ["report"]
    );
    assert_eq!(
        violations("pss", "use crate::{findings::Finding, sources::demo};"),
        ["sources"]
    );
    assert_eq!(
        violations(
            "triage",
            "use crate::{\n    rules,\n    tui::{app, ui},\n};"
        ),
        ["tui"]
    );
    assert_eq!(
        violations("inventory", "let x = crate::cli::today();"),
        ["cli"]
    );
    assert_eq!(violations("sources", "use crate::tui::app::App;"), ["tui"]);
    assert_eq!(violations("report", "use crate::cli::Format;"), ["cli"]);
    assert_eq!(violations("session", "use clap::Parser;"), ["clap"]);
    assert!(violations("cli", "use clap::Parser; use crate::tui::run;").is_empty());
    assert!(violations("report", "use crate::engine::Report;").is_empty());
    assert!(
        violations("checks", "$crate::findings::message::fmt_exact(x)").is_empty(),
        "macro paths are the crate's own"
    );
    assert!(
        violations(
            "engine",
            "#[cfg(test)]\nmod tests { use crate::sources::demo; }"
        )
        .is_empty(),
        "test modules may reach across"
    );
    assert!(
        violations(
            "inventory",
            "/// Read by [`crate::sources::demo`].\nfn f() {}"
        )
        .is_empty(),
        "doc links are no imports"
    );
}

/// Small modules with one job each: no source file over 700 lines but the data tables.
#[test]
fn no_file_over_700_lines() {
    const TABLES: &[&str] = &["rules.rs", "pss/checks.rs"];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter(|f| {
            let relative = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            !TABLES.contains(&relative.as_str())
        })
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 700).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}
