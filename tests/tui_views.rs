//! Every view of the TUI, rendered from the demo cluster at 80x24 and 160x48 and compared
//! with the snapshots in `tests/snapshots/` (insta). Also the key handling of `App::update`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Effect, Event, Input, Prepared, View};
use kaudit::tui::effects;
use kaudit::tui::jobs::Jobs;
use kaudit::tui::run;
use kaudit::tui::theme::{Theme, ThemeName};
use std::path::PathBuf;

#[path = "common/tui.rs"]
mod tui;
use tui::{demo_app, key, screen};

fn options(dir: &std::path::Path) -> run::Options {
    run::Options {
        theme: ThemeName::Dark,
        mouse: false,
        exemptions_path: dir.join("exemptions.yaml"),
        export_dir: dir.to_path_buf(),
        store: Some(dir.join("data/kaudit.db")),
        author: Some("alice".into()),
        kubeconfig: Default::default(),
    }
}

/// Types `text`, carrying out the effects as the runtime would.
fn keys(app: &mut App, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    for c in text.chars() {
        press(app, KeyCode::Char(c), dir.path());
    }
}

/// Applies events and carries out their effects as the runtime would (its jobs run in
/// place here).
fn press(app: &mut App, code: KeyCode, dir: &std::path::Path) {
    apply(
        app,
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        dir,
    );
}

fn apply(app: &mut App, event: Event, dir: &std::path::Path) {
    if let Some(effect) = app.update(event)
        && let Some(event) = effects::perform(app, effect, &options(dir), &Jobs::new(None))
    {
        app.update(event);
    }
}

/// The demo's audit log with `line` appended, analysed as `--follow` would (with the
/// cluster-admin bindings of the cluster on screen).
fn demo_log_with(app: &App, line: &str) -> kaudit::auditlog::Analysis {
    let mut log = kaudit::sources::demo::audit_log().to_vec();
    log.extend_from_slice(line.as_bytes());
    log.push(b'\n');
    let config = kaudit::auditlog::detect::AuditConfig {
        cluster_admins: kaudit::session::cluster_admins(&app.audit.as_ref().unwrap().inventory),
        ..Default::default()
    };
    kaudit::auditlog::analyze_bytes("demo/audit.log", &log, &Default::default(), config)
}

/// An exec into shop/web by mallory, written after the demo's log, running `command`
/// (URL-encoded).
fn late_exec(command: &str) -> String {
    format!(
        r#"{{"kind":"Event","auditID":"late-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods/web/exec?command={command}","verb":"create","user":{{"username":"mallory"}},"objectRef":{{"resource":"pods","namespace":"shop","name":"web","subresource":"exec"}},"responseStatus":{{"code":101}},"requestReceivedTimestamp":"2026-11-20T09:10:00Z"}}"#
    )
}

/// Drives the app to each view and snapshots it at one size.
fn snapshot_views(size: (u16, u16), suffix: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app(size);
    let snap =
        |name: &str, app: &App| insta::assert_snapshot!(format!("{name}_{suffix}"), screen(app));

    snap("dashboard", &app);
    key(&mut app, KeyCode::Tab);
    snap("images", &app);
    key(&mut app, KeyCode::Tab);
    snap("pss_namespaces", &app);
    keys(&mut app, "w");
    snap("pss_workloads", &app);
    keys(&mut app, "v");
    snap("pss_workloads_v1_37", &app);
    key(&mut app, KeyCode::Tab);
    snap("findings", &app);
    keys(&mut app, "t");
    snap("findings_by_rule", &app);
    keys(&mut app, "t/rbac");
    key(&mut app, KeyCode::Enter);
    snap("findings_filtered", &app);
    press(&mut app, KeyCode::Enter, dir.path());
    snap("finding_detail", &app);
    keys(&mut app, "e");
    snap("export_dialog", &app);
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "m");
    snap("triage_form", &app);
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "?");
    snap("help", &app);
    key(&mut app, KeyCode::Esc);
    for (cmd, name) in [
        ("audit", "audit_log"),
        ("sig", "signatures"),
        ("rules", "rules"),
    ] {
        keys(&mut app, &format!(":{cmd}"));
        key(&mut app, KeyCode::Enter);
        snap(name, &app);
    }
    key(&mut app, KeyCode::Enter);
    snap("rule_detail", &app);
    keys(&mut app, ":images");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/postgres");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    snap("image_page", &app);
}

#[test]
fn views_at_80x24() {
    snapshot_views((80, 24), "80x24");
}

#[test]
fn views_at_160x48() {
    snapshot_views((160, 48), "160x48");
}

#[test]
fn navigation_filter_and_back() {
    let mut app = demo_app((120, 40));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Findings);
    let all = app.findings.rows.len();
    keys(&mut app, "/pod008");
    assert!(matches!(app.input, Input::Filter(_)));
    assert_eq!(app.findings.rows.len(), 1, "filtering happens as you type");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.input, Input::None);
    assert_eq!(app.findings.filter, "pod008");
    // Esc first clears the filter, then goes back.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.findings.rows.len(), all);
    assert_eq!(app.view, View::Findings);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Dashboard);
    // Moving never leaves the table.
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::End);
    assert_eq!(app.findings.selected, all - 1);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.findings.selected, all - 1);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.findings.selected, 0);
    keys(&mut app, "-");
    assert_eq!(app.view, View::Dashboard, "- returns to the previous view");
}

#[test]
fn command_bar_completes_and_reports_unknown_commands() {
    let mut app = demo_app((120, 40));
    keys(&mut app, ":ru");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.input, Input::Command("rules".into()));
    key(&mut app, KeyCode::Esc);
    keys(&mut app, ":ns pay");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.input, Input::Command("ns payments".into()));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.namespace.as_deref(), Some("payments"));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    // The payments workloads are clean; only the audit log's story touches the namespace.
    assert!(!app.findings.rows.is_empty());
    assert!(
        app.findings
            .rows
            .iter()
            .all(|r| app.model.findings[*r].area == kaudit::severity::Area::AuditLog),
        "payments' configuration has no findings"
    );
    keys(&mut app, ":nope");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("unknown command")
    );
    keys(&mut app, ":q");
    assert!(matches!(key(&mut app, KeyCode::Enter), Some(Effect::Quit)));
}

#[test]
fn suppress_needs_a_reason_writes_the_file_and_is_reversible() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((120, 40));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/pod008");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let View::Detail(i) = app.view else {
        panic!("detail expected")
    };
    keys(&mut app, "s");
    assert!(matches!(app.input, Input::Reason { .. }));
    assert!(
        key(&mut app, KeyCode::Enter).is_none(),
        "an empty reason is refused"
    );
    keys(&mut app, "kaniko migration in Q1");
    press(&mut app, KeyCode::Enter, dir.path());
    let written = std::fs::read_to_string(dir.path().join("exemptions.yaml")).unwrap();
    assert!(
        written.contains("rule: \"POD008\"") && written.contains("kaniko migration in Q1"),
        "{written}"
    );
    let View::Detail(j) = app.view else {
        panic!("still on the detail")
    };
    let f = &app.audit.as_ref().unwrap().report.findings[j];
    assert_eq!(
        f.rule_id, "POD008",
        "the detail follows its finding across the re-run ({i} -> {j})"
    );
    assert!(f.suppressed.is_some());
    press(&mut app, KeyCode::Char('s'), dir.path());
    let f = &app.audit.as_ref().unwrap().report.findings[j];
    assert!(f.suppressed.is_none(), "s again undoes");
    assert!(
        !std::fs::read_to_string(dir.path().join("exemptions.yaml"))
            .unwrap()
            .contains("POD008")
    );
}

#[test]
fn triage_marks_are_kept_in_the_history_and_can_be_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((120, 40));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/pod008");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "m");
    let Input::Decide(form) = &app.input else {
        panic!("m opens the triage form")
    };
    assert_eq!(form.reason, "");
    assert!(
        key(&mut app, KeyCode::Enter).is_none(),
        "an empty reason is refused"
    );
    assert!(matches!(app.input, Input::Decide(_)));
    keys(&mut app, "builder needs it");
    // Tab to the expiry: a malformed day is refused, a good one kept.
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "2099-1");
    assert!(key(&mut app, KeyCode::Enter).is_none());
    keys(&mut app, "2-31");
    // Tab on to the verdict, right once: false positive.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter, dir.path());
    assert_eq!(app.input, Input::None);
    let View::Detail(j) = app.view else {
        panic!("still on the detail")
    };
    let f = &app.audit.as_ref().unwrap().report.findings[j];
    assert_eq!(f.rule_id, "POD008");
    let decision = &f
        .decision
        .as_ref()
        .expect("the finding carries the decision")
        .decision;
    assert_eq!(
        (decision.verdict.as_str(), decision.author.as_str()),
        ("false-positive", "alice")
    );
    assert_eq!(decision.expires.as_deref(), Some("2099-12-31"));
    assert!(f.suppressed.is_some(), "a false positive stops counting");
    assert!(
        screen(&app).contains("false positive by alice"),
        "{}",
        screen(&app)
    );
    let kept = kaudit::store::Store::open(&dir.path().join("data/kaudit.db"))
        .unwrap()
        .decisions("demo")
        .unwrap();
    assert_eq!(kept.len(), 1, "kept in the store under the demo's context");

    // m again: the form shows the decision; left from false positive wraps to "take back".
    keys(&mut app, "m");
    let Input::Decide(form) = &app.input else {
        panic!("m opens the form again")
    };
    assert_eq!(form.reason, "builder needs it");
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Enter, dir.path());
    let View::Detail(j) = app.view else {
        panic!("still on the detail")
    };
    let f = &app.audit.as_ref().unwrap().report.findings[j];
    assert!(f.decision.is_none() && f.suppressed.is_none(), "taken back");
}

/// The dashboard shows the score trend over the recorded audits and what changed; the
/// findings view marks what is new and `:findings new` keeps only that.
#[test]
fn the_dashboard_shows_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let options = SessionOptions {
        history: kaudit::session::history::HistoryOptions {
            store: Some(dir.path().join("kaudit.db")),
            baseline: None,
        },
        ..SessionOptions::default()
    };
    let mut audit = None;
    for _ in 0..3 {
        let mut session = Session::open(&Source::Demo, &options).unwrap();
        session
            .record(&options.history, "2026-06-01T00:00:00Z")
            .unwrap();
        audit = Some(session);
    }
    let mut app = App::new(Theme::new(ThemeName::Dark), "demo".into(), (160, 48));
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(audit.unwrap())))));
    let shown = screen(&app);
    // Pod security scores 69 in the demo (capped by its critical findings): three bars at
    // the same height.
    let pss_row = shown
        .lines()
        .find(|l| l.contains("Pod security") && l.contains("100%"))
        .unwrap();
    assert!(pss_row.contains("▅▅▅"), "{pss_row}");
    assert!(
        shown.contains("Since the last audit: 0 new, 0 resolved"),
        "{shown}"
    );
    keys(&mut app, ":findings new");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.findings.rows.len(),
        0,
        "nothing is new on the third audit"
    );
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("0 new since the last audit")
    );

    // Against an earlier report that had no findings, everything is new and marked so.
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, r#"{"findings": []}"#).unwrap();
    let against_empty = kaudit::session::history::HistoryOptions {
        store: None,
        baseline: Some(kaudit::session::history::BaselineChoice::Report(empty)),
    };
    let mut session = Session::open(&Source::Demo, &options).unwrap();
    session
        .record(&against_empty, "2026-06-01T00:00:00Z")
        .unwrap();
    let total = session.report.findings.len();
    let mut app = App::new(Theme::new(ThemeName::Dark), "demo".into(), (160, 48));
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(session)))));
    keys(&mut app, ":findings new");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.findings.rows.len(), total);
    let shown = screen(&app);
    assert!(
        shown.lines().filter(|l| l.contains(" new ")).count() > 10,
        "{shown}"
    );
}

/// Enter on an image shows its vulnerabilities (most severe first); enter again lists its
/// findings.
#[test]
fn an_image_shows_its_vulnerabilities() {
    let mut app = demo_app((160, 48));
    keys(&mut app, ":images");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/postgres");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.view, View::Image(_)), "{:?}", app.view);
    let shown = screen(&app);
    assert!(shown.contains("debian 12.7"), "{shown}");
    let critical = shown
        .find("CVE-2099-1001")
        .expect("the critical one is listed");
    let high = shown.find("CVE-2099-1002").expect("the high one is listed");
    assert!(critical < high, "most severe first");
    assert!(shown.contains("fixed in 3.0.15-1~deb12u1"));
    assert!(shown.contains("no fix (will_not_fix)"), "{shown}");
    // The selected one's details: its package and source package, where to read more.
    assert!(
        shown.contains("libssl3 3.0.14-1~deb12u1 (debian, source openssl)"),
        "{shown}"
    );
    // j selects the next row; its details follow.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    assert!(
        screen(&app).contains("zlib1g 1:1.2.13.dfsg-1 (debian"),
        "{}",
        screen(&app)
    );
    // f: only those with a fix (the unfixable zlib one goes); s: fixable first, then by package.
    key(&mut app, KeyCode::Char('f'));
    let fixable = screen(&app);
    assert!(!fixable.contains("CVE-2099-1003"), "{fixable}");
    assert!(
        fixable.contains("3 vulnerabilities with a fix by severity"),
        "{fixable}"
    );
    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    let by_package = screen(&app);
    assert!(by_package.contains("by package"), "{by_package}");
    let libc = by_package.find("libc6 ").unwrap();
    let zlib = by_package.find("zlib1g ").unwrap();
    assert!(libc < zlib, "{by_package}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Findings);
    assert_eq!(app.findings.filter, "postgres:16");
}

#[test]
fn export_writes_the_chosen_scope() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((120, 40));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/rbac002");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "e");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right); // scope: this filter
    press(&mut app, KeyCode::Enter, dir.path());
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("2 findings, this filter"), "{status}");
    let file: PathBuf = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let md = std::fs::read_to_string(file).unwrap();
    assert!(md.contains("RBAC002") && !md.contains("PSS002"));
}

#[test]
fn audit_findings_open_their_raw_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((160, 48));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/AUD019");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.findings.rows.len(), 1);
    press(&mut app, KeyCode::Enter, dir.path());
    let s = screen(&app);
    assert!(s.contains("Raw audit event demo/audit.log:36"), "{s}");
    assert!(s.contains("\"auditID\": \"demo-0036\""), "{s}");
    assert!(s.contains("/api/v1/nodes/worker-2/proxy/run/shop/"), "{s}");
}

#[test]
fn followed_audit_log_updates_the_views_in_place() {
    let mut app = demo_app((160, 48));
    keys(&mut app, ":audit");
    key(&mut app, KeyCode::Enter);
    let before = app.audit.as_ref().unwrap().report.findings.len();
    let analysis = demo_log_with(&app, &late_exec("sh"));
    let dir = tempfile::tempdir().unwrap();
    apply(
        &mut app,
        Event::AuditLogUpdated(Box::new(analysis)),
        dir.path(),
    );
    assert_eq!(app.view, View::Audit, "the view stays");
    let audit = app.audit.as_ref().unwrap();
    assert_eq!(audit.report.findings.len(), before + 1);
    let s = screen(&app);
    assert!(s.contains("audit log: 1 new events (48 in all)"), "{s}");
    let stats = &audit.audit_log.as_ref().unwrap().stats;
    assert!(
        stats
            .activity
            .identities
            .iter()
            .any(|i| i.user == "mallory" && i.findings == 1)
    );
}

#[test]
fn the_audit_view_scrolls_to_its_timeline_and_identities() {
    let mut app = demo_app((120, 30));
    keys(&mut app, ":audit");
    key(&mut app, KeyCode::Enter);
    assert!(
        !screen(&app).contains("Denied requests"),
        "below the fold at first"
    );
    keys(&mut app, "G");
    let s = screen(&app);
    // The end, wrapped lines counted: the denied requests' last rows, not a blank pane.
    assert!(s.contains(" 403 "), "{s}");
    // Their heading and the identities lie just above.
    let mut seen = String::new();
    for _ in 0..40 {
        keys(&mut app, "k");
        seen.push_str(&screen(&app));
    }
    assert!(seen.contains("Denied requests (14 in all"), "{seen}");
    assert!(
        seen.contains("Activity by identity") || seen.contains("dev@acme.example"),
        "{seen}"
    );
    keys(&mut app, "g");
    assert!(screen(&app).contains("Findings by rule"));
}

#[test]
fn the_shown_finding_stays_when_new_events_move_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((160, 48));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/AUD019");
    key(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter, dir.path());
    let View::Detail(before) = app.view else {
        panic!("not in the detail view")
    };
    // A new critical exec sorts ahead of the shown finding.
    let analysis = demo_log_with(
        &app,
        &late_exec("cat%20/var/run/secrets/kubernetes.io/serviceaccount/token"),
    );
    apply(
        &mut app,
        Event::AuditLogUpdated(Box::new(analysis)),
        dir.path(),
    );
    let View::Detail(after) = app.view else {
        panic!("left the detail view")
    };
    assert_eq!(after, before + 1, "the same finding, one place later");
    let s = screen(&app);
    assert!(
        s.contains("\"auditID\": \"demo-0036\""),
        "the raw event is still shown: {s}"
    );
}

/// A source that cannot be read shows what failed and what to do about it, from the kind
/// of failure.
#[test]
fn a_failed_read_says_what_to_do() {
    let mut app = App::new(Theme::new(ThemeName::Dark), "cluster".into(), (120, 30));
    let error = kaudit::sources::Error::Api {
        context: "prod".into(),
        server: "https://10.0.0.1:6443".into(),
        what: "reading /version".into(),
        error: Box::new(kaudit::sources::live::ApiError::Status {
            code: 401,
            reason: "Unauthorized".into(),
            message: String::new(),
            retry_after: None,
        }),
    };
    app.update(Event::Loaded(Box::new(Err(error.into()))));
    let s = screen(&app);
    assert!(s.contains("401 Unauthorized"), "{s}");
    assert!(s.contains("refresh them"), "{s}");
}

/// Suppressing and unsuppressing edit the exemptions file in place: the user's comments and
/// entries stay as they were written (the header says "edit freely").
#[test]
fn suppressing_keeps_the_users_comments() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exemptions.yaml");
    let mine = "# Reviewed by the platform team every quarter.\nexemptions:\n# OPS-42: the cache writes to /\n- rule: POD005\n  subject: shop/Deployment/catalog/*\n  reason: cache\n";
    std::fs::write(&file, mine).unwrap();
    let mut app = demo_app((120, 40));
    keys(&mut app, ":findings");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/pod008");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "s");
    keys(&mut app, "accepted");
    press(&mut app, KeyCode::Enter, dir.path());
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with(mine), "{written}");
    assert!(written.contains("rule: \"POD008\""), "{written}");
    press(&mut app, KeyCode::Char('s'), dir.path());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        mine,
        "undone, the rest as it was"
    );
}

/// Every option a hint, a "needs input" text or a report tells the user to pass exists: the
/// dashboard's next steps, the audit-log, signature and image views without input, the
/// Markdown report and the not-evaluated reasons of a bare manifest scan.
#[test]
fn every_option_a_hint_names_exists() {
    let manifests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scan");
    let source = Source::Manifests(vec![manifests.clone()]);
    let session = Session::open(&source, &SessionOptions::default()).unwrap();
    let report = session.report.clone();
    let mut texts = vec![
        kaudit::report::markdown::render(&report),
        serde_json::to_string(&report.not_evaluated).unwrap(),
    ];
    let mut app = App::new(Theme::new(ThemeName::Dark), "manifests".into(), (160, 48));
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(session)))));
    texts.push(screen(&app));
    for view in [":audit", ":sig", ":images"] {
        keys(&mut app, view);
        key(&mut app, KeyCode::Enter);
        texts.push(screen(&app));
        key(&mut app, KeyCode::Enter);
        texts.push(screen(&app));
        key(&mut app, KeyCode::Esc);
    }
    let help: String = [
        vec!["--help"],
        vec!["scan", "--help"],
        vec!["audit-log", "--help"],
        vec!["image", "scan", "--help"],
    ]
    .iter()
    .map(|args| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .collect();
    let mut named = std::collections::BTreeSet::new();
    // kaudit's own options: lines that are kubectl commands (remediation) name kubectl's.
    for line in texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.contains("kubectl"))
    {
        for (at, _) in line.match_indices("--") {
            let flag: String = line[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if flag.starts_with(|c: char| c.is_ascii_lowercase()) {
                named.insert(flag);
            }
        }
    }
    assert!(
        named.contains("audit-log"),
        "the hints were read: {named:?}"
    );
    let missing: Vec<&String> = named
        .iter()
        .filter(|flag| !help.contains(&format!("--{flag}")))
        .collect();
    assert!(
        missing.is_empty(),
        "hints name options kaudit does not have: {missing:?}"
    );
}

#[test]
fn images_scanned_after_loading_show_a_count_then_the_audit_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = demo_app((160, 48));
    apply(&mut app, Event::Progress("images 2/5".into()), dir.path());
    let header = screen(&app);
    assert!(
        header.lines().next().unwrap().contains("images 2/5"),
        "{header}"
    );

    let facts = kaudit::vuln::facts::ImageFacts::new("kaudit's scan of the images (test)");
    let notes = vec!["5 of 5 images scanned (3 from kaudit's per-digest cache)".to_string()];
    apply(
        &mut app,
        Event::ImagesScanned(Box::new(Ok((facts, notes)))),
        dir.path(),
    );
    assert!(!screen(&app).lines().next().unwrap().contains("images 2/5"));
    let report = &app.audit.as_ref().unwrap().report;
    assert_eq!(
        report.vulnerabilities.as_ref().unwrap().source,
        "kaudit's scan of the images (test)"
    );
    assert!(
        report
            .source
            .notes
            .iter()
            .any(|n| n.contains("5 of 5 images scanned")),
        "{:?}",
        report.source.notes
    );
    assert_eq!(
        app.status.as_deref(),
        Some("5 of 5 images scanned (3 from kaudit's per-digest cache)")
    );
    // Every container of the demo is now "not evaluated" for VUL001: the scan knew none.
    assert!(
        !report.findings.iter().any(|f| f.rule_id == "VUL001"),
        "no image data, no VUL001 finding"
    );
}
