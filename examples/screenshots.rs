//! Regenerates `screenshots/*.png` (and the `.svg` sources) from the demo cluster:
//! `cargo run --example screenshots`. Needs `rsvg-convert` (Debian: librsvg2-bin) for PNG.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Event, Prepared};
use kaudit::tui::effects;
use kaudit::tui::jobs::Jobs;
use kaudit::tui::theme::{Theme, ThemeName};
use kaudit::tui::{run, svg, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::process::Command;

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        if let Some(effect) = app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))) {
            let options = run::Options {
                theme: ThemeName::Dark,
                mouse: false,
                exemptions_path: std::env::temp_dir().join("kaudit-shots.yaml"),
                export_dir: std::env::temp_dir(),
                store: None,
                author: None,
                kubeconfig: Default::default(),
            };
            if let Some(event) = effects::perform(app, effect, &options, &Jobs::new(None)) {
                app.update(event);
            }
        }
    }
}

fn shot(app: &App, name: &str, out: &Path) -> Result<(), String> {
    let mut terminal =
        Terminal::new(TestBackend::new(app.size.0, app.size.1)).map_err(|e| e.to_string())?;
    terminal
        .draw(|f| ui::draw(f, app))
        .map_err(|e| e.to_string())?;
    // The SVG is an intermediate; only the PNG is kept in the repository.
    let svg_path = std::env::temp_dir().join(format!("kaudit-{name}.svg"));
    std::fs::write(&svg_path, svg::render(terminal.backend().buffer()))
        .map_err(|e| e.to_string())?;
    let png = out.join(format!("{name}.png"));
    let status = Command::new("rsvg-convert")
        .arg("-o")
        .arg(&png)
        .arg(&svg_path)
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("wrote {}", png.display());
            Ok(())
        }
        _ => Err(format!(
            "rsvg-convert failed or is missing (Debian: apt-get install librsvg2-bin); the SVG is at {}",
            svg_path.display()
        )),
    }
}

fn main() -> Result<(), String> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let audit =
        Session::open(&Source::Demo, &SessionOptions::default()).map_err(|e| e.to_string())?;
    let mut app = App::new(
        Theme::new(ThemeName::Dark),
        "demo (embedded Acme Shop cluster)".into(),
        (130, 36),
    );
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(audit)))));
    shot(&app, "dashboard", &out)?;
    press(&mut app, ":pss\nw");
    shot(&app, "pod-security", &out)?;
    press(&mut app, ":findings\n");
    shot(&app, "findings", &out)?;
    press(&mut app, "/pod008\n\n");
    shot(&app, "finding-detail", &out)?;
    press(&mut app, ":images\n");
    shot(&app, "images", &out)?;
    // The bottom of the view: timeline, identities, denied requests.
    press(&mut app, ":audit\nG");
    shot(&app, "audit-log", &out)?;
    // CKS practice: the tasks by domain beside the selected one.
    app.lab = kaudit::tui::app::Lab::new(
        kaudit::lab::catalog::tasks().map_err(|e| e.to_string()),
        "/home/you/lab".into(),
        None,
        |_| false,
    );
    app.refresh(kaudit::tui::app::PaneId::Lab);
    press(&mut app, ":lab\n");
    shot(&app, "lab", &out)?;
    Ok(())
}
