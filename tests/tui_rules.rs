//! The Rules view: `/` finds a rule by another tool's check ID (Checkov, kubescape...), as
//! well as by its own ID, name and title. The help: `G` shows its end, never a blank pane.

use crossterm::event::KeyCode;
use kaudit::tui::app::View;

#[path = "common/tui.rs"]
mod tui;
use tui::{demo_app, key, screen, type_text as keys};

#[test]
fn rules_are_found_by_an_equivalent_checks_id() {
    let mut app = demo_app((120, 40));
    keys(&mut app, ":rules");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Rules);
    let all = app.rules.rows.len();
    let reference = kaudit::rules::RULES
        .iter()
        .flat_map(|r| r.references)
        .find(|x| x.source == "checkov")
        .expect("a rule names a Checkov check")
        .id;
    keys(&mut app, &format!("/{}", reference.to_lowercase()));
    key(&mut app, KeyCode::Enter);
    let found: Vec<&str> = app
        .rules
        .rows
        .iter()
        .map(|&i| app.model.rules[i].rule.id)
        .collect();
    assert!(
        !found.is_empty() && found.len() < all,
        "{reference}: {found:?}"
    );
    // The filter is fuzzy (a subsequence within one word), so near IDs may come too; every
    // rule naming the check is there.
    for rule in kaudit::rules::RULES
        .iter()
        .filter(|r| r.references.iter().any(|x| x.id == reference))
    {
        assert!(
            found.contains(&rule.id),
            "{} not found for {reference}: {found:?}",
            rule.id
        );
    }
}

#[test]
fn help_ends_at_its_last_screenful() {
    let mut app = demo_app((100, 24));
    keys(&mut app, "?");
    let first = screen(&app);
    assert!(first.contains("Everywhere"), "{first}");
    key(&mut app, KeyCode::Char('G'));
    let end = screen(&app);
    assert!(end.contains(":q") && end.contains("quit"), "{end}");
    // Many more j: still the last screenful, not an empty box.
    for _ in 0..200 {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(screen(&app), end);
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(screen(&app), first);
}
