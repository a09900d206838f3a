//! The signature surfaces of the TUI on the demo cluster: the Images view's signature and
//! attestation columns, the image page's verdict, and the Signatures view's scrolling.

use crossterm::event::KeyCode;
use kaudit::tui::app::View;

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
    assert_eq!(app.findings.filter, "signatures");
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
