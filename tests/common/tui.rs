//! The TUI on the demo cluster, for the tests that drive it: the app loaded, keys pressed
//! (effects returned, not carried out), the screen as text.

#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Effect, Event, Prepared};
use kaudit::tui::theme::{Theme, ThemeName};
use kaudit::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The demo audited on a fixed date, loaded in an app of `size`.
pub fn demo_app(size: (u16, u16)) -> App {
    let options = SessionOptions {
        today: "2026-12-01".into(),
        ..SessionOptions::default()
    };
    let audit = Session::open(&Source::Demo, &options).expect("the demo audits");
    let mut app = App::new(
        Theme::new(ThemeName::Dark),
        "demo (embedded Acme Shop cluster)".into(),
        size,
    );
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(audit)))));
    app
}

pub fn key(app: &mut App, code: KeyCode) -> Option<Effect> {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Types `text`, each key's effect dropped (for keys that have none).
#[allow(dead_code)]
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The screen as text, one trimmed line per row.
pub fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What the runtime would run effects with, writing into `dir` (no history store).
pub fn run_options(dir: &std::path::Path) -> kaudit::tui::run::Options {
    kaudit::tui::run::Options {
        theme: ThemeName::Dark,
        mouse: false,
        exemptions_path: dir.join("exemptions.yaml"),
        export_dir: dir.to_path_buf(),
        store: None,
        author: None,
        kubeconfig: Default::default(),
    }
}
