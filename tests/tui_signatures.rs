//! The signature surfaces of the TUI on the demo cluster: the Images view's signature and
//! attestation columns, the image page's verdict, and the Signatures view's scrolling; and
//! `--verify-signatures` looking them up after the audit is shown.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Effect, Event, Prepared, View};
use kaudit::tui::theme::{Theme, ThemeName};

#[path = "common/tui.rs"]
mod tui;
use tui::{demo_app, key, screen, type_text as keys};

/// The Signatures view is longer than the screen: j/k, pgdn and G scroll it to the
/// namespaces and findings below the fold, `k` right after `G` moves at once, and enter
/// lists the signature findings.
#[test]
fn the_signatures_view_scrolls_to_its_namespaces() {
    let mut app = demo_app((100, 30));
    keys(&mut app, ":sig");
    key(&mut app, KeyCode::Enter);
    let top = screen(&app);
    assert!(
        top.contains("unverified  registry.acme.example/shop/storefront:2.4")
            || top.contains("verified    registry.acme.example/payments/api"),
        "{top}"
    );
    assert!(
        !top.contains("Namespaces: "),
        "below the fold at first: {top}"
    );
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.signatures_scroll, 1);
    key(&mut app, KeyCode::PageDown);
    assert!(app.signatures_scroll > 1);
    keys(&mut app, "G");
    let bottom = screen(&app);
    assert!(
        bottom.contains("Findings by rule (enter lists them)"),
        "{bottom}"
    );
    assert!(bottom.contains("SIG001"), "{bottom}");
    let end = app.signatures_scroll;
    keys(&mut app, "k");
    assert_eq!(app.signatures_scroll, end - 1, "k after G moves at once");
    keys(&mut app, "g");
    assert_eq!(app.signatures_scroll, 0);
    // Somewhere down there: each namespace, and whether a policy enforces signatures there.
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&screen(&app));
        key(&mut app, KeyCode::PageDown);
    }
    assert!(
        seen.contains("Namespaces: their images' verdicts"),
        "{seen}"
    );
    assert!(seen.contains("payments"), "{seen}");
    assert!(seen.contains("enforced on"), "{seen}");
    assert!(seen.contains("not checked busybox"), "{seen}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Findings);
    assert_eq!(
        app.findings_query.area,
        Some(kaudit::severity::Area::Signatures)
    );
    assert!(
        app.findings
            .rows
            .iter()
            .all(|r| app.model.findings[*r].area == kaudit::severity::Area::Signatures)
    );
}

/// The Images view's signature and attestation columns, at the middle width too; the image
/// page lists the verdict's signatures and attestations with builder and source.
#[test]
fn images_show_their_signatures() {
    let mut app = demo_app((120, 40));
    keys(&mut app, ":images");
    key(&mut app, KeyCode::Enter);
    let table = screen(&app);
    assert!(
        table.contains("SIGNATURE") && table.contains("ATTESTED"),
        "{table}"
    );
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in {table}"))
            .to_string()
    };
    assert!(row("ghcr.io/acme/catalog").contains("unsigned"));
    assert!(
        row("payments/api").contains("verified   provenance"),
        "{}",
        row("payments/api")
    );
    assert!(row("postgres:16").contains("—"), "not looked up");
    keys(&mut app, "/payments/api");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let page = screen(&app);
    assert!(page.contains("Signature: verified"), "{page}");
    assert!(
        page.contains(
            "signature: cosign .sig by ClusterPolicy verify-image-signatures key 1: verified"
        ),
        "{page}"
    );
    assert!(
        page.contains("attestation: SLSA provenance: signed by ClusterPolicy"),
        "{page}"
    );
    assert!(
        page.contains("built by https://github.com/acme/payments/.github/workflows/release.yml"),
        "{page}"
    );
    assert!(
        page.contains("source https://github.com/acme/payments "),
        "{page}"
    );
}

/// Carries out `effect` in place as the runtime would (a job's event comes back at once) and
/// applies its event.
fn perform(app: &mut App, effect: Effect) {
    let dir = tempfile::tempdir().unwrap();
    let options = kaudit::tui::run::Options {
        theme: ThemeName::Dark,
        mouse: false,
        exemptions_path: dir.path().join("exemptions.yaml"),
        export_dir: dir.path().to_path_buf(),
        store: None,
        author: None,
        kubeconfig: Default::default(),
    };
    let jobs = kaudit::tui::jobs::Jobs::new(None);
    if let Some(event) = kaudit::tui::effects::perform(app, effect, &options, &jobs) {
        app.update(event);
    }
}

/// `--verify-signatures`: the audit (read 2) is shown before any lookup; until its verdicts
/// come the Signatures view, the Images view and the dashboard say they are being looked up
/// (not "not evaluated", not "—"); verdicts of a replaced read are dropped; the read's own
/// verdicts check the cluster again, and the views show them.
#[test]
fn signatures_looked_up_after_loading_show_once_they_come() {
    // The demo's recorded verdicts stand for what the lookups would find.
    let (read, facts) = pending_read(2);
    let mut app = App::new(Theme::new(ThemeName::Dark), "demo".into(), (120, 40));
    app.update(Event::Loaded(Box::new(Ok(read))));
    app.update(Event::Progress("signatures: looking up 9 images".into()));

    let dashboard = screen(&app);
    assert!(
        dashboard
            .lines()
            .next()
            .unwrap()
            .contains("signatures: looking up 9 images"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("SIG001: looking up the images' signatures…"),
        "{dashboard}"
    );
    assert!(
        !dashboard.contains("no signature verification ran"),
        "{dashboard}"
    );
    keys(&mut app, ":images");
    key(&mut app, KeyCode::Enter);
    let images = screen(&app);
    let row = images
        .lines()
        .find(|l| l.contains("ghcr.io/acme/catalog"))
        .unwrap_or_else(|| panic!("catalog in {images}"));
    assert!(row.contains('…') && !row.contains('—'), "{row}");
    keys(&mut app, ":sig");
    key(&mut app, KeyCode::Enter);
    let pending = screen(&app);
    assert!(pending.contains("Looking up signatures…"), "{pending}");
    assert!(
        !pending.contains("not evaluated") && !pending.contains("unsigned"),
        "{pending}"
    );

    // Verdicts of an earlier read (a re-read replaced it) change nothing.
    let stale = app.update(Event::SignaturesChecked {
        read: 1,
        found: Box::new((Some(facts.clone()), Vec::new())),
    });
    assert!(stale.is_none());
    assert_eq!(app.signatures_pending, Some(2));
    assert!(screen(&app).contains("Looking up signatures…"));

    let note = "9 of 9 images' signatures looked up (0 could not be; 0 as fetched within the hour, from the store)";
    let effect = app
        .update(Event::SignaturesChecked {
            read: 2,
            found: Box::new((Some(facts), vec![note.to_string()])),
        })
        .expect("the verdicts are applied off the UI thread");
    assert!(matches!(effect, Effect::ApplySignatureFacts(..)));
    assert!(
        screen(&app).contains("Looking up signatures…"),
        "still looking until the cluster is checked again"
    );
    perform(&mut app, effect);

    assert_eq!(app.signatures_pending, None);
    let shown = screen(&app);
    assert!(!shown.contains("Looking up signatures…"), "{shown}");
    assert!(
        !shown
            .lines()
            .next()
            .unwrap()
            .contains("signatures: looking up"),
        "{shown}"
    );
    assert!(
        shown.contains("From the demo's recorded signature verdicts."),
        "{shown}"
    );
    assert!(
        shown.contains("verified    registry.acme.example/payments/api")
            || shown.contains("unverified  registry.acme.example/shop/storefront:2.4"),
        "{shown}"
    );
    assert_eq!(app.status.as_deref(), Some(note));
    let report = &app.audit.as_ref().unwrap().report;
    assert!(report.findings.iter().any(|f| f.rule_id == "SIG001"));
    assert!(report.source.notes.iter().any(|n| n == note));

    // A re-read looks them up again: the verdicts on screen give way to its pending ones.
    let reread = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    assert!(
        matches!(reread, Some(Effect::Reload { .. })),
        "ctrl-r reads the source again"
    );
    app.update(Event::Progress(
        "reading the source and running every check".into(),
    ));
    assert!(screen(&app).contains("From the demo's recorded signature verdicts."));
    let (read, _) = pending_read(3);
    app.update(Event::Loaded(Box::new(Ok(read))));
    assert_eq!(app.signatures_pending, Some(3));
    let reread = screen(&app);
    assert!(reread.contains("Looking up signatures…"), "{reread}");
    assert!(
        !reread
            .lines()
            .next()
            .unwrap()
            .contains("reading the source"),
        "{reread}"
    );
}

/// The demo read as number `read` with its signatures still to look up, and the verdicts
/// the lookups will find.
fn pending_read(read: u64) -> (Prepared, kaudit::signatures::facts::SignatureFacts) {
    let options = SessionOptions {
        today: "2026-12-01".into(),
        ..SessionOptions::default()
    };
    let opened = Session::open(&Source::Demo, &options).expect("the demo audits");
    let mut unused = Vec::new();
    let facts =
        kaudit::session::signatures::gather(&Source::Demo, &opened.inventory, None, &mut unused)
            .expect("the demo has recorded verdicts");
    let session = opened.with_signatures(None, Vec::new());
    assert!(session.report.signatures.is_none());
    let mut prepared = Prepared::new(session);
    prepared.signatures_pending = Some(read);
    (prepared, facts)
}
