//! The audit history through the real binary: what changed since the last audit of the same
//! manifests, `kaudit history`, `--fail-on-new`, `--baseline SESSION|FILE`, `--no-store`, a
//! damaged store left alone, `kaudit store path`, CSV rows, and a kaudit killed while it
//! saves.

use kaudit::cli::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const OK: Option<i32> = Some(EXIT_OK as i32);
const FINDINGS: Option<i32> = Some(EXIT_FINDINGS as i32);
const ERROR: Option<i32> = Some(EXIT_ERROR as i32);

/// A Deployment with a privileged container (critical) running `nginx:latest`.
const WEB: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:latest
        securityContext:
          privileged: true
"#;

/// A Pod without any security context.
const WORKER: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: worker
  namespace: shop
spec:
  containers:
  - name: worker
    image: busybox:1.36
    command: ["sleep", "3600"]
"#;

/// A Pod sharing the node's process and network namespaces.
const DEBUG: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  hostPID: true
  hostNetwork: true
  containers:
  - name: shell
    image: alpine:latest
    command: ["sleep", "3600"]
"#;

/// A Pod with problems, none of them critical (not privileged, no added capabilities).
const CACHE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: cache
  namespace: shop
spec:
  containers:
  - name: redis
    image: redis:latest
"#;

/// A privileged Pod: a critical finding.
const ROGUE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: rogue
  namespace: shop
spec:
  containers:
  - name: rogue
    image: alpine:3.20
    securityContext:
      privileged: true
"#;

/// A temporary folder holding a manifests folder, a data folder (not created until kaudit
/// creates it) and whatever else a test writes; removed when dropped.
struct Workspace {
    root: tempfile::TempDir,
    manifests: PathBuf,
    data: PathBuf,
}

impl Workspace {
    fn new() -> Workspace {
        let root = tempfile::Builder::new()
            .prefix("kaudit-history-")
            .tempdir()
            .expect("temp dir");
        let manifests = root.path().join("manifests");
        std::fs::create_dir(&manifests).expect("create the manifests folder");
        let data = root.path().join("data");
        Workspace {
            root,
            manifests,
            data,
        }
    }

    fn with(files: &[(&str, &str)]) -> Workspace {
        let w = Workspace::new();
        for (name, yaml) in files {
            w.write(name, yaml);
        }
        w
    }

    /// Writes a manifest file.
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.manifests.join(name), text).expect("write a manifest");
    }

    /// Removes a manifest file.
    fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests.join(name)).expect("remove a manifest");
    }

    /// A path in the workspace, outside the manifests folder.
    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// The store's file.
    fn db(&self) -> PathBuf {
        self.data.join(kaudit::store::FILE_NAME)
    }

    /// kaudit with `args`, cut off from the user's own data and config folders.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kaudit"));
        command
            .args(args)
            .current_dir(self.root.path())
            .env_remove("KAUDIT_DATA_DIR")
            .env("KAUDIT_CONFIG_DIR", self.root.path().join("config"));
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run kaudit")
    }

    /// `kaudit scan --manifests <folder> --data-dir <data> ARGS`.
    fn scan_command(&self, extra: &[&str]) -> Command {
        let mut args = vec![
            "scan",
            "--manifests",
            text(&self.manifests),
            "--data-dir",
            text(&self.data),
        ];
        args.extend_from_slice(extra);
        self.command(&args)
    }

    fn scan(&self, extra: &[&str]) -> Output {
        self.scan_command(extra).output().expect("run kaudit")
    }

    /// A JSON scan: its exit code and report.
    fn scan_json(&self, extra: &[&str]) -> (Option<i32>, Value) {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let out = self.scan(&args);
        (out.status.code(), json(&out))
    }

    /// `kaudit history --data-dir <data> --format json ARGS`, which must succeed.
    fn history(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec![
            "history",
            "--data-dir",
            text(&self.data),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert_eq!(out.status.code(), OK, "{}", stderr(&out));
        match json(&out) {
            Value::Array(sessions) => sessions,
            other => panic!("history is not a JSON list: {other}"),
        }
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {:?}; stderr: {}",
            out.status.code(),
            stderr(out)
        )
    })
}

fn findings(report: &Value) -> &[Value] {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("report without findings: {report}"))
}

/// The ids of every finding of a report.
fn ids(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .map(|f| f["id"].as_str().expect("finding id").to_string())
        .collect()
}

/// The ids of the findings about the object called `name`.
fn ids_of(report: &Value, name: &str) -> BTreeSet<String> {
    findings(report)
        .iter()
        .filter(|f| f["subject"]["name"] == name)
        .map(|f| f["id"].as_str().expect("finding id").to_string())
        .collect()
}

/// A JSON list of strings as a set.
fn strings(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> BTreeSet<String> {
    a.difference(b).cloned().collect()
}

#[test]
fn first_audit_has_no_baseline_then_second_compares() {
    let w = Workspace::with(&[("web.yaml", WEB), ("worker.yaml", WORKER)]);

    let (code, first) = w.scan_json(&[]);
    assert_eq!(code, OK);
    assert!(
        w.db().is_file(),
        "the audit is saved to {}",
        w.db().display()
    );
    let changes = &first["changes"];
    assert!(changes["baseline"].is_null(), "first audit: {changes}");
    assert!(strings(&changes["new"]).is_empty(), "{changes}");
    assert!(strings(&changes["resolved"]).is_empty(), "{changes}");
    assert!(
        !ids_of(&first, "web").is_empty(),
        "the privileged Deployment has findings"
    );
    assert!(
        !ids_of(&first, "worker").is_empty(),
        "the bare Pod has findings"
    );

    // The same manifests again: compared with the first audit, nothing new or resolved.
    let (code, second) = w.scan_json(&[]);
    assert_eq!(code, OK);
    assert_eq!(ids(&second), ids(&first), "same manifests, same findings");
    let changes = &second["changes"];
    assert_eq!(changes["baseline"]["kind"], "session", "{changes}");
    assert_eq!(changes["baseline"]["session"], 1, "{changes}");
    assert!(changes["baseline"]["started"].is_string(), "{changes}");
    assert_eq!(
        changes["unchanged"].as_u64(),
        Some(findings(&second).len() as u64),
        "{changes}"
    );
    assert!(strings(&changes["new"]).is_empty(), "{changes}");
    assert!(strings(&changes["resolved"]).is_empty(), "{changes}");

    // One object removed, another with new problems added.
    w.remove("worker.yaml");
    w.write("debug.yaml", DEBUG);
    let (code, third) = w.scan_json(&[]);
    assert_eq!(code, OK);
    let changes = &third["changes"];
    assert_eq!(changes["baseline"]["kind"], "session", "{changes}");
    assert_eq!(changes["baseline"]["session"], 2, "{changes}");
    let (before, after) = (ids(&second), ids(&third));
    let resolved = strings(&changes["resolved"]);
    let new = strings(&changes["new"]);
    assert_eq!(
        resolved,
        minus(&before, &after),
        "resolved: gone since the last audit"
    );
    assert_eq!(new, minus(&after, &before), "new: not in the last audit");
    assert!(
        ids_of(&second, "worker").is_subset(&resolved),
        "the removed Pod's findings are resolved: {changes}"
    );
    let debug = ids_of(&third, "debug");
    assert!(!debug.is_empty(), "the host-namespace Pod has findings");
    assert!(
        debug.is_subset(&new),
        "the added Pod's findings are new: {changes}"
    );
    let web = ids_of(&third, "web");
    assert_eq!(web, ids_of(&second, "web"));
    assert!(
        web.is_disjoint(&new) && web.is_disjoint(&resolved),
        "the untouched Deployment's findings are unchanged: {changes}"
    );
    assert_eq!(
        changes["unchanged"].as_u64(),
        Some(before.intersection(&after).count() as u64),
        "{changes}"
    );
}

#[test]
fn history_lists_sessions_as_json() {
    let w = Workspace::with(&[("web.yaml", WEB)]);
    // Looking at an empty history lists nothing and creates nothing.
    assert!(w.history(&[]).is_empty());
    assert!(!w.db().exists(), "`kaudit history` created the store");

    let mut counts = Vec::new();
    for add in [
        None,
        Some(("worker.yaml", WORKER)),
        Some(("debug.yaml", DEBUG)),
    ] {
        if let Some((name, yaml)) = add {
            w.write(name, yaml);
        }
        let (code, report) = w.scan_json(&[]);
        assert_eq!(code, OK);
        counts.push(findings(&report).len() as u64);
    }
    assert!(
        counts[0] < counts[1] && counts[1] < counts[2],
        "each audit found more: {counts:?}"
    );

    let sessions = w.history(&[]);
    assert_eq!(sessions.len(), 3, "{sessions:#?}");
    let context = std::fs::canonicalize(&w.manifests)
        .unwrap()
        .display()
        .to_string();
    let session_ids: Vec<i64> = sessions
        .iter()
        .map(|s| s["id"].as_i64().unwrap_or_else(|| panic!("no id: {s}")))
        .collect();
    assert_eq!(session_ids, [3, 2, 1], "newest first");
    // Newest first: the last audit's count comes first.
    for (session, expected) in sessions.iter().zip(counts.iter().rev()) {
        assert_eq!(session["source"], "manifests", "{session}");
        assert!(
            session["started"].as_str().is_some_and(|s| !s.is_empty()),
            "{session}"
        );
        assert_eq!(session["findings"].as_u64(), Some(*expected), "{session}");
        assert_eq!(session["context"], context.as_str(), "{session}");
    }

    let latest = w.history(&["--limit", "2"]);
    let latest_ids: Vec<Option<i64>> = latest.iter().map(|s| s["id"].as_i64()).collect();
    assert_eq!(latest_ids, [Some(3), Some(2)]);

    // Another folder is another context in the same store.
    let other = w.path("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("pod.yaml"), WORKER).unwrap();
    let out = w.run(&[
        "scan",
        "--manifests",
        text(&other),
        "--data-dir",
        text(&w.data),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    assert!(
        json(&out)["changes"]["baseline"].is_null(),
        "first audit of that folder"
    );
    assert_eq!(w.history(&[]).len(), 4);
    let one_context = w.history(&["--context", context.as_str()]);
    assert_eq!(one_context.len(), 3, "{one_context:#?}");
    assert!(one_context.iter().all(|s| s["context"] == context.as_str()));
}

#[test]
fn fail_on_new_breaks_only_on_regressions() {
    let w = Workspace::with(&[("web.yaml", WEB), ("worker.yaml", WORKER)]);
    let out = w.scan(&[]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));

    // Nothing changed: no regression, although there are findings.
    let out = w.scan(&["--fail-on-new"]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("changes since session 1"),
        "{}",
        stderr(&out)
    );
    // Without --fail-on-new the critical finding already there fails the build.
    let out = w.scan(&["--fail-on", "critical"]);
    assert_eq!(out.status.code(), FINDINGS, "{}", stderr(&out));

    // New findings, all below critical: --fail-on critical --fail-on-new passes.
    w.write("cache.yaml", CACHE);
    let (code, report) = w.scan_json(&["--fail-on", "critical", "--fail-on-new"]);
    let new = strings(&report["changes"]["new"]);
    assert!(!new.is_empty(), "the added Pod has new findings");
    let new_severities: BTreeSet<&str> = findings(&report)
        .iter()
        .filter(|f| new.contains(f["id"].as_str().unwrap()))
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert!(
        !new_severities.contains("critical"),
        "the test needs new findings below critical: {new_severities:?}"
    );
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["severity"] == "critical"),
        "an old critical finding is still there"
    );
    assert_eq!(code, OK, "only new findings at or above critical count");

    // A risky object added: a regression.
    w.write("rogue.yaml", ROGUE);
    let out = w.scan(&["--fail-on-new"]);
    assert_eq!(out.status.code(), FINDINGS, "{}", stderr(&out));

    // Audited again unchanged: the regression is now the baseline.
    let out = w.scan(&["--fail-on-new"]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
}

#[test]
fn baseline_file_and_session() {
    let w = Workspace::with(&[("web.yaml", WEB), ("worker.yaml", WORKER)]);
    let out = w.scan(&["--format", "json"]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    let first = json(&out);
    // Outside the manifests folder, or it would be read as a manifest.
    let first_file = w.path("first.json");
    std::fs::write(&first_file, &out.stdout).unwrap();

    w.remove("worker.yaml");
    w.write("debug.yaml", DEBUG);
    let (code, second) = w.scan_json(&[]);
    assert_eq!(code, OK);
    assert_eq!(second["changes"]["baseline"]["session"], 1);
    // Without --baseline the last audit is the baseline: nothing new.
    let (code, third) = w.scan_json(&[]);
    assert_eq!(code, OK);
    assert_eq!(third["changes"]["baseline"]["session"], 2);
    assert!(strings(&third["changes"]["new"]).is_empty());

    let expect_new = minus(&ids(&third), &ids(&first));
    let expect_resolved = minus(&ids(&first), &ids(&third));
    assert!(!expect_new.is_empty() && !expect_resolved.is_empty());

    // The earlier JSON report as the baseline.
    let (code, by_file) = w.scan_json(&["--baseline", text(&first_file)]);
    assert_eq!(code, OK);
    let changes = &by_file["changes"];
    assert_eq!(changes["baseline"]["kind"], "report", "{changes}");
    assert_eq!(changes["baseline"]["file"], text(&first_file), "{changes}");
    assert!(changes["baseline"]["session"].is_null(), "{changes}");
    assert_eq!(strings(&changes["new"]), expect_new, "{changes}");
    assert_eq!(strings(&changes["resolved"]), expect_resolved, "{changes}");

    // Session 1, the same audit, from the store.
    let (code, by_session) = w.scan_json(&["--baseline", "1"]);
    assert_eq!(code, OK);
    let changes = &by_session["changes"];
    assert_eq!(changes["baseline"]["kind"], "session", "{changes}");
    assert_eq!(changes["baseline"]["session"], 1, "{changes}");
    assert_eq!(strings(&changes["new"]), expect_new, "{changes}");
    assert_eq!(strings(&changes["resolved"]), expect_resolved, "{changes}");
    assert_eq!(
        changes["unchanged"].as_u64(),
        Some(ids(&first).intersection(&ids(&by_session)).count() as u64),
        "{changes}"
    );

    // --fail-on-new counts against the baseline named.
    let out = w.scan(&["--baseline", "1", "--fail-on-new"]);
    assert_eq!(out.status.code(), FINDINGS, "{}", stderr(&out));

    // A baseline that does not exist is an error the user sees.
    let out = w.scan(&["--baseline", "99"]);
    assert_eq!(out.status.code(), ERROR);
    assert!(stderr(&out).contains("99"), "{}", stderr(&out));
    let missing = w.path("missing.json");
    let out = w.scan(&["--baseline", text(&missing)]);
    assert_eq!(out.status.code(), ERROR);
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));
}

#[test]
fn no_store_writes_nothing() {
    let w = Workspace::with(&[("web.yaml", WEB)]);
    let (code, report) = w.scan_json(&["--no-store"]);
    assert_eq!(code, OK);
    assert!(!findings(&report).is_empty());
    assert!(report["changes"]["baseline"].is_null());
    assert!(!w.db().exists(), "--no-store created {}", w.db().display());
    if w.data.exists() {
        let left: Vec<_> = std::fs::read_dir(&w.data).unwrap().collect();
        assert!(left.is_empty(), "--no-store wrote {left:?}");
    }

    // With a history: --no-store neither compares with it nor adds to it.
    let (code, _) = w.scan_json(&[]);
    assert_eq!(code, OK);
    let before = std::fs::read(w.db()).unwrap();
    let (code, report) = w.scan_json(&["--no-store"]);
    assert_eq!(code, OK);
    assert!(
        report["changes"]["baseline"].is_null(),
        "{}",
        report["changes"]
    );
    assert!(
        std::fs::read(w.db()).unwrap() == before,
        "the store changed"
    );
    assert_eq!(w.history(&[]).len(), 1);
}

#[test]
fn corrupt_store_is_left_alone_and_audit_runs() {
    let w = Workspace::with(&[("web.yaml", WEB), ("worker.yaml", WORKER)]);
    std::fs::create_dir_all(&w.data).unwrap();
    let mut garbage = b"this is not a kaudit store, only bytes that fill a page\n".repeat(200);
    garbage.extend((0..=255u8).cycle().take(4096));
    std::fs::write(w.db(), &garbage).unwrap();

    let without_history = w.scan(&["--format", "json", "--fail-on", "critical", "--no-store"]);
    let out = w.scan(&["--format", "json", "--fail-on", "critical"]);
    assert_eq!(
        out.status.code(),
        without_history.status.code(),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        out.status.code(),
        FINDINGS,
        "the privileged Deployment fails"
    );
    let report = json(&out);
    assert_eq!(
        ids(&report),
        ids(&json(&without_history)),
        "the whole audit ran"
    );
    assert!(report["changes"]["baseline"].is_null());
    let err = stderr(&out);
    assert!(
        err.contains("audit history"),
        "a note about the history: {err}"
    );
    assert!(err.contains("not a kaudit store or damaged"), "{err}");
    assert!(
        std::fs::read(w.db()).unwrap() == garbage,
        "the damaged file was changed"
    );

    // Listing it is an error, and leaves it alone too.
    let out = w.run(&["history", "--data-dir", text(&w.data), "--format", "json"]);
    assert_eq!(out.status.code(), ERROR);
    assert!(
        stderr(&out).contains("not a kaudit store or damaged"),
        "{}",
        stderr(&out)
    );
    assert!(
        std::fs::read(w.db()).unwrap() == garbage,
        "the damaged file was changed"
    );
}

#[test]
fn store_path_prints_the_file() {
    let w = Workspace::new();
    let out = w.run(&["store", "path", "--data-dir", text(&w.data)]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        w.db().display().to_string()
    );
    assert!(!w.db().exists(), "printing the path created the store");

    // KAUDIT_DATA_DIR says the same.
    let out = w
        .command(&["store", "path"])
        .env("KAUDIT_DATA_DIR", &w.data)
        .output()
        .expect("run kaudit");
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        w.db().display().to_string()
    );
}

#[test]
fn csv_has_one_row_per_finding() {
    let w = Workspace::with(&[
        ("web.yaml", WEB),
        ("worker.yaml", WORKER),
        ("debug.yaml", DEBUG),
    ]);
    let (code, report) = w.scan_json(&[]);
    assert_eq!(code, OK);
    let rule_of: BTreeMap<&str, &str> = findings(&report)
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["rule_id"].as_str().unwrap()))
        .collect();

    let out = w.scan(&["--format", "csv"]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().expect("a header row").clone();
    assert_eq!(header.get(0), Some("id"));
    assert_eq!(header.get(1), Some("change"));
    assert_eq!(header.get(2), Some("rule_id"));
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("well-formed CSV");
    assert_eq!(rows.len(), findings(&report).len(), "one row per finding");
    let mut seen = BTreeSet::new();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
        let id = row.get(0).unwrap();
        assert_eq!(rule_of.get(id).copied(), row.get(2), "{row:?}");
        // Second audit of the same manifests.
        assert_eq!(row.get(1), Some("unchanged"), "{row:?}");
        seen.insert(id.to_string());
    }
    assert_eq!(seen, ids(&report));
}

#[test]
fn killed_mid_save_leaves_whole_sessions() {
    const PODS: usize = 3000;
    const RUNS: u64 = 8;
    let w = Workspace::new();
    let mut yaml = String::with_capacity(PODS * 160);
    for i in 0..PODS {
        writeln!(
            yaml,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: load-{i:04}\n  namespace: load\nspec:\n  containers:\n  - name: app\n    image: nginx:latest"
        )
        .unwrap();
    }
    w.write("load.yaml", &yaml);

    // One whole audit first: the store exists, and its length says when saving happens.
    let start = Instant::now();
    let status = w
        .scan_command(&["--format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run kaudit");
    let whole_ms = (start.elapsed().as_millis() as u64).max(20);
    assert_eq!(status.code(), OK);

    for i in 0..RUNS {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()));
        // Spread over the whole run, the end (saving, then writing the report) included.
        let wait = whole_ms * i / RUNS + nanos % (whole_ms / RUNS + 1);
        let mut child = w
            .scan_command(&["--format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kaudit");
        std::thread::sleep(Duration::from_millis(wait));
        // SIGKILL; it may have finished already.
        let _ = child.kill();
        child.wait().expect("reap kaudit");
    }

    let sessions: Vec<(i64, i64, i64)> = {
        let db = rusqlite::Connection::open(w.db()).expect("open the store");
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity check");
        assert_eq!(check, "ok");
        let orphans: i64 = db
            .query_row(
                "SELECT count(*) FROM findings WHERE session NOT IN (SELECT id FROM sessions)",
                [],
                |r| r.get(0),
            )
            .expect("count orphans");
        assert_eq!(orphans, 0, "findings of a session that was not saved");
        let mut query = db
            .prepare(
                "SELECT s.id, s.findings, (SELECT count(*) FROM findings f WHERE f.session = s.id)
                 FROM sessions s ORDER BY s.id",
            )
            .expect("prepare");
        let rows = query
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .expect("query sessions");
        rows.collect::<Result<_, _>>().expect("read sessions")
    };
    assert!(!sessions.is_empty(), "the first, whole audit is kept");
    for (id, said, stored) in &sessions {
        assert_eq!(said, stored, "session {id} is partial: {sessions:?}");
    }
    let counts: BTreeSet<i64> = sessions.iter().map(|s| s.1).collect();
    assert_eq!(
        counts.len(),
        1,
        "every saved audit of the same manifests has the same findings: {sessions:?}"
    );
    assert!(counts.iter().all(|c| *c > 0), "{sessions:?}");

    // The store still works: a normal audit compares with the last whole one and is saved.
    #[derive(serde::Deserialize)]
    struct Brief {
        findings: Vec<serde::de::IgnoredAny>,
        changes: Value,
    }
    let out = w.scan(&["--format", "json"]);
    assert_eq!(out.status.code(), OK, "{}", stderr(&out));
    let report: Brief = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let last = sessions.last().unwrap().0;
    assert_eq!(report.changes["baseline"]["kind"], "session");
    assert_eq!(report.changes["baseline"]["session"], last);
    assert!(strings(&report.changes["new"]).is_empty());
    assert_eq!(
        report.changes["unchanged"].as_u64(),
        Some(report.findings.len() as u64)
    );
    assert_eq!(w.history(&["--limit", "1000"]).len(), sessions.len() + 1);
}

/// Several kaudit processes saving to one store at once: every session is kept whole (the
/// busy time-out makes writers wait their turn instead of failing or losing a write).
#[test]
fn concurrent_audits_lose_no_session() {
    let w = Workspace::with(&[("web.yaml", WEB), ("worker.yaml", WORKER)]);
    let (_, first) = w.scan_json(&[]);
    let per_audit = findings(&first).len() as u64;
    let children: Vec<_> = (0..4)
        .map(|_| {
            w.scan_command(&["--format", "json"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn kaudit")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("not saved"), "{err}");
    }
    let sessions = w.history(&[]);
    assert_eq!(sessions.len(), 5, "every audit saved");
    assert!(sessions.iter().all(|s| s["findings"] == per_audit));
}

/// A store that cannot be created (its folder is a file): the audit runs and says why the
/// history is missing.
#[test]
fn an_unusable_data_folder_costs_the_history_not_the_audit() {
    let w = Workspace::with(&[("web.yaml", WEB)]);
    std::fs::write(&w.data, "a file where the folder should be").unwrap();
    let (code, report) = w.scan_json(&[]);
    assert!(!findings(&report).is_empty(), "the audit still reports");
    assert_ne!(code, ERROR);
    let notes = report["source"]["notes"].to_string();
    assert!(notes.contains("audit history not used"), "{notes}");
    assert_eq!(
        std::fs::read_to_string(&w.data).unwrap(),
        "a file where the folder should be"
    );
}
