//! Navigation as a k9s user expects it: `/` only where it filters, enter on a rule's page
//! lists its findings, and a `:` jump starts a new breadcrumb trail.

use crossterm::event::KeyCode;
use kaudit::tui::app::{App, Input, View};

#[path = "common/tui.rs"]
mod tui;
use tui::{demo_app, key, run_options, screen, type_text};

fn command(app: &mut App, cmd: &str) {
    type_text(app, &format!(":{cmd}"));
    key(app, KeyCode::Enter);
}

/// The footer (the screen's last line).
fn footer(app: &App) -> String {
    screen(app).lines().last().unwrap_or_default().to_string()
}

#[test]
fn slash_filters_wherever_the_footer_offers_it_and_nowhere_else() {
    let mut app = demo_app((160, 48));
    for cmd in [
        "dashboard",
        "images",
        "pss",
        "findings",
        "audit",
        "sig",
        "rules",
        "lab",
    ] {
        command(&mut app, cmd);
        let offered = footer(&app).contains("</>");
        key(&mut app, KeyCode::Char('/'));
        let filtering = matches!(app.input, Input::Filter(_));
        assert_eq!(
            offered,
            filtering,
            ":{cmd}: the footer {} `/` but it {}",
            if offered { "offers" } else { "does not offer" },
            if filtering { "filters" } else { "does nothing" }
        );
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.input, Input::None);
    }
    // In the audit log view, `/` then `j` is not a filter being typed: `/` is not offered.
    command(&mut app, "audit");
    assert!(!footer(&app).contains("</>"), "{}", footer(&app));
}

#[test]
fn enter_on_a_rule_page_lists_its_findings() {
    let mut app = demo_app((160, 48));
    command(&mut app, "rules");
    type_text(&mut app, "/pss002");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.view, View::Rule(_)), "{:?}", app.view);
    assert!(footer(&app).contains("findings"), "{}", footer(&app));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Findings);
    let rules: Vec<&str> = app
        .findings
        .rows
        .iter()
        .map(|r| app.model.findings[*r].rule_id)
        .collect();
    assert!(!rules.is_empty());
    assert!(rules.iter().all(|r| *r == "PSS002"), "{rules:?}");
    let all = app
        .model
        .findings
        .iter()
        .filter(|f| f.rule_id == "PSS002")
        .count();
    assert_eq!(rules.len(), all);
}

#[test]
fn a_colon_jump_starts_a_new_trail() {
    let mut app = demo_app((160, 48));
    command(&mut app, "rules");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.view, View::Rule(_)));
    command(&mut app, "dashboard");
    command(&mut app, "findings");
    key(&mut app, KeyCode::Enter);
    let text = screen(&app);
    let crumbs = text.lines().rev().nth(1).unwrap();
    assert!(
        crumbs
            .trim_start()
            .starts_with("Dashboard > Findings > Finding"),
        "the trail restarts at the jump: {crumbs}"
    );
    assert!(!crumbs.contains("Rules"), "{crumbs}");
}

/// The severities and rules of the rows the findings table shows.
fn shown(app: &App) -> Vec<&kaudit::tui::model::FindingRow> {
    app.findings
        .rows
        .iter()
        .map(|r| &app.model.findings[*r])
        .collect()
}

#[test]
fn findings_conditions_are_structured_exact_and_combine_with_the_text_filter() {
    use kaudit::severity::{Area, Severity};
    let mut app = demo_app((160, 48));
    let count = |app: &App, keep: &dyn Fn(&kaudit::tui::model::FindingRow) -> bool| {
        app.model.findings.iter().filter(|f| keep(f)).count()
    };

    // A bare severity is that severity, not the word "high" anywhere in a row.
    command(&mut app, "findings high");
    let rows = shown(&app);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|f| f.severity == Severity::High));
    assert_eq!(rows.len(), count(&app, &|f| f.severity == Severity::High));

    command(&mut app, "findings severity>=high area=rbac");
    let rows = shown(&app);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|f| f.severity >= Severity::High && f.area == Area::Rbac)
    );
    assert_eq!(
        rows.len(),
        count(&app, &|f| f.severity >= Severity::High
            && f.area == Area::Rbac)
    );
    assert!(screen(&app).contains("Findings where severity>=high area=rbac"));

    command(&mut app, "findings rule=aud001,AUD004 ns=shop");
    let rows = shown(&app);
    assert!(
        rows.iter()
            .all(|f| ["AUD001", "AUD004"].contains(&f.rule_id) && f.namespace == "shop")
    );
    assert_eq!(
        rows.len(),
        count(&app, &|f| ["AUD001", "AUD004"].contains(&f.rule_id)
            && f.namespace == "shop")
    );

    // `/` narrows within the conditions; esc takes the text back, then the conditions.
    command(&mut app, "findings severity>=medium");
    let within = app.findings.rows.len();
    type_text(&mut app, "/pod");
    key(&mut app, KeyCode::Enter);
    assert!(app.findings.rows.len() < within);
    assert!(shown(&app).iter().all(|f| f.severity >= Severity::Medium));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.findings.rows.len(), within);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.findings.rows.len(), app.model.findings.len());
    assert_eq!(app.view, View::Findings);

    // Not a condition: said, and nothing changes.
    command(&mut app, "findings shop");
    assert!(
        app.status
            .as_deref()
            .unwrap_or_default()
            .contains("not a condition"),
        "{:?}",
        app.status
    );
    assert_eq!(app.findings.rows.len(), app.model.findings.len());
}

/// `G` shows a text's last screenful, not a blank pane, and `k` then moves at once: the
/// finding detail, its YAML, a rule's page and the help.
#[test]
fn bottom_of_a_text_is_its_last_screenful_and_k_moves_at_once() {
    let mut app = demo_app((80, 24));
    command(&mut app, "findings");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.view, View::Detail(_)));
    screen(&app);
    type_text(&mut app, "G");
    let bottom = screen(&app);
    let end = app.detail_scroll;
    assert!(end > 0 && end < 1000, "G stops at the end: {end}");
    assert!(
        bottom.contains("References") || bottom.contains("Also on this object"),
        "{bottom}"
    );
    type_text(&mut app, "k");
    assert_eq!(app.detail_scroll, end - 1, "k after G moves at once");

    command(&mut app, "rules");
    key(&mut app, KeyCode::Enter);
    screen(&app);
    type_text(&mut app, "G");
    let bottom = screen(&app);
    assert!(
        bottom.contains("https://"),
        "the rule's last line shows: {bottom}"
    );
    let end = app.detail_scroll;
    type_text(&mut app, "k");
    assert_eq!(app.detail_scroll, end.saturating_sub(1));

    type_text(&mut app, "?G");
    let help = screen(&app);
    assert!(help.contains(":ctx"), "the help's end shows: {help}");
    let kaudit::tui::app::Overlay::Help { scroll: end } = app.overlay else {
        panic!()
    };
    type_text(&mut app, "k");
    assert_eq!(
        app.overlay,
        kaudit::tui::app::Overlay::Help {
            scroll: end.saturating_sub(1)
        }
    );
}

/// A source that cannot be read at all: the whole message, wrapped at 80 columns, says
/// where a kubeconfig was looked for, and what to do is said once.
#[test]
fn a_missing_kubeconfig_is_explained_whole_and_once() {
    use kaudit::tui::app::Event;
    use kaudit::tui::theme::{Theme, ThemeName};
    let mut app = App::new(Theme::new(ThemeName::Dark), "cluster".into(), (80, 24));
    let error = kaudit::sources::Error::NoKubeconfig(
        "KUBECONFIG is not set, no --kubeconfig was given, /home/me/.kube/config does not exist, and this is not a pod (no in-cluster service account)".into(),
    );
    app.update(Event::Loaded(Box::new(Err(error.into()))));
    let s = screen(&app);
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("/home/me/.kube/config does not exist"), "{s}");
    assert!(
        flat.contains("no in-cluster service account"),
        "wrapped, not cut: {s}"
    );
    assert_eq!(flat.matches("kaudit demo").count(), 1, "{s}");
}

/// `v` in the namespaces view changes the version only: the view stays, and says at which
/// version each namespace could enforce.
#[test]
fn v_in_the_namespaces_view_changes_the_version_only() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use kaudit::tui::app::Event;
    let mut app = demo_app((160, 48));
    command(&mut app, "pss");
    assert!(!app.pss_workloads);
    let dir = tempfile::tempdir().unwrap();
    let options = run_options(dir.path());
    let effect = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('v'),
        KeyModifiers::NONE,
    )));
    let effect = effect.expect("the workloads are evaluated at the new version");
    if let Some(event) =
        kaudit::tui::effects::perform(&app, effect, &options, &kaudit::tui::jobs::Jobs::new(None))
    {
        app.update(event);
    }
    assert_eq!(app.view, View::Pss);
    assert!(!app.pss_workloads, "still the namespaces");
    let s = screen(&app);
    assert!(s.contains("Namespaces, could enforce at v1."), "{s}");
}

/// The export dialog offers every format `kaudit scan --format` writes, and writes each.
#[test]
fn export_offers_and_writes_every_report_format() {
    use kaudit::tui::app::{Event, ExportFormat};
    let dir = tempfile::tempdir().unwrap();
    let options = run_options(dir.path());
    let mut app = demo_app((100, 30));
    type_text(&mut app, "e");
    let dialog = screen(&app);
    for f in ExportFormat::ALL {
        assert!(
            dialog.contains(f.label()),
            "{} not offered: {dialog}",
            f.label()
        );
    }
    for i in 0..ExportFormat::ALL.len() {
        // The dialog opens on md: the i-th format is i steps right.
        for _ in 0..i {
            key(&mut app, KeyCode::Right);
        }
        let effect = app.update(Event::Key(crossterm::event::KeyEvent::new(
            KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
        )));
        let event = kaudit::tui::effects::perform(
            &app,
            effect.unwrap(),
            &options,
            &kaudit::tui::jobs::Jobs::new(None),
        );
        app.update(event.unwrap());
        type_text(&mut app, "e");
    }
    let mut written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            p.extension().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    written.sort();
    assert_eq!(written, ["csv", "html", "json", "md", "sarif", "xml"]);
}

/// `:ns` alone lists the namespaces to pick from; the pick scopes the header's counts and
/// the dashboard too, and says that scores are the cluster's.
#[test]
fn ns_picks_a_namespace_and_the_header_and_dashboard_follow() {
    let mut app = demo_app((160, 48));
    let all = screen(&app);
    command(&mut app, "ns");
    assert_eq!(app.view, View::Pss);
    assert!(!app.pss_workloads);
    type_text(&mut app, "/shop");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.namespace.as_deref(), Some("shop"));
    assert_eq!(app.view, View::Dashboard);
    let s = screen(&app);
    let (counts, _) = app.model.scoped_counts("shop").all;
    let high = counts
        .get(&kaudit::severity::Severity::High)
        .copied()
        .unwrap_or(0);
    assert!(s.contains(&format!("HIGH {high} ")), "{s}");
    assert!(s.contains("in ns shop"), "{s}");
    assert!(s.contains("Score by area in ns shop"), "{s}");
    // The namespace's own scores: its objects' checks; the audit log is judged cluster-wide.
    let scores = kaudit::engine::namespace_scores(&app.audit.as_ref().unwrap().report, "shop");
    let row = |title: &str| {
        let start = format!("│{title}");
        s.lines()
            .find(|l| l.starts_with(&start))
            .unwrap()
            .to_string()
    };
    let pss = scores[&kaudit::severity::Area::PodSecurity];
    assert!(
        row("Pod security").contains(&format!(" {pss} ")),
        "{pss}: {s}"
    );
    assert!(row("Audit log").contains(" -  "), "{s}");
    assert_ne!(
        s.lines().nth(1),
        all.lines().nth(1),
        "the counts changed with the scope"
    );
    command(&mut app, "ns all");
    assert_eq!(screen(&app).lines().nth(1), all.lines().nth(1));
}

/// Tables cut long text with `…` (an image cut to `windows-exporter:0` reads as tag 0), and
/// the namespaces table sizes its columns by what they hold, ENFORCE never cut.
#[test]
fn tables_cut_with_an_ellipsis_and_size_columns_by_content() {
    let mut app = demo_app((80, 24));
    command(&mut app, "images");
    let s = screen(&app);
    assert!(s.contains("windows-exp…"), "{s}");
    let mut app = demo_app((160, 48));
    command(&mut app, "pss");
    let s = screen(&app);
    assert!(
        s.contains("privileged:latest (default)"),
        "ENFORCE is not cut: {s}"
    );
    let header = s.lines().find(|l| l.contains("NAMESPACE")).unwrap();
    let gap = header.find("ENFORCE").unwrap() - header.find("NAMESPACE").unwrap();
    assert!(
        gap < 20,
        "NAMESPACE takes only what its names need: {header}"
    );
    // The audit timeline's columns line up whether or not a minute had denied requests.
    command(&mut app, "audit");
    let s = screen(&app);
    let columns: std::collections::BTreeSet<usize> = s
        .lines()
        .filter(|l| l.contains(" events ") && l.contains("finding"))
        .map(|l| l[..l.find("finding").unwrap()].chars().count())
        .collect();
    assert_eq!(columns.len(), 1, "findings in one column: {s}");
}

/// The audit log view has a cursor: rules, time buckets, identities and denied requests are
/// rows, and enter lists the findings each stands for.
#[test]
fn the_audit_view_selects_rules_times_and_identities() {
    use kaudit::tui::audit_links::AuditLink;
    let mut app = demo_app((160, 48));
    command(&mut app, "audit");
    let links = app.model.audit_links.clone();
    let find = |want: &dyn Fn(&AuditLink) -> bool| links.iter().position(want).unwrap();

    // A rule: its findings.
    let rule = find(&|l| matches!(l, AuditLink::Rule(_)));
    let AuditLink::Rule(id) = links[rule].clone() else {
        unreachable!()
    };
    type_text(&mut app, "g");
    for _ in 0..rule {
        type_text(&mut app, "j");
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Findings);
    assert!(!app.findings.rows.is_empty());
    assert!(
        app.findings
            .rows
            .iter()
            .all(|r| app.model.findings[*r].rule_id == id)
    );

    // An identity: its audit-log findings.
    command(&mut app, "audit");
    let who = find(&|l| matches!(l, AuditLink::Identity(u) if u == "dev@acme.example"));
    type_text(&mut app, "g");
    for _ in 0..who {
        type_text(&mut app, "j");
    }
    assert!(screen(&app).contains("dev@acme.example"));
    key(&mut app, KeyCode::Enter);
    let rows: Vec<_> = app
        .findings
        .rows
        .iter()
        .map(|r| &app.model.findings[*r])
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|f| f.user.as_deref() == Some("dev@acme.example"))
    );
    assert!(screen(&app).contains("user=dev@acme.example"));

    // A time bucket: the findings of events in that window.
    command(&mut app, "audit");
    let bucket = find(&|l| matches!(l, AuditLink::Bucket { .. }));
    let AuditLink::Bucket { start, secs } = links[bucket].clone() else {
        unreachable!()
    };
    type_text(&mut app, "g");
    for _ in 0..bucket {
        type_text(&mut app, "j");
    }
    key(&mut app, KeyCode::Enter);
    let from = kaudit::time::parse_rfc3339(&start).unwrap().0;
    assert!(app.findings.rows.iter().all(|r| {
        app.model.findings[*r]
            .time
            .is_some_and(|t| t >= from && t < from + secs)
    }));
}

/// Counts read as English: the demo's one log file is "1 file", in the view and reports.
#[test]
fn the_audit_reading_line_counts_in_english() {
    let mut app = demo_app((160, 48));
    command(&mut app, "audit");
    let s = screen(&app);
    assert!(s.contains("read from 1 file ("), "{s}");
    assert!(!s.contains("1 files"), "{s}");
}
