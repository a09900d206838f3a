//! TUI benchmarks (issue targets): first full frame of the demo within 150 ms of start; a
//! frame of a 100,000-finding table under 5 ms; filtering 100,000 rows under 16 ms per key.
//!
//! Run with `cargo bench --bench tui`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Event, Prepared};
use kaudit::tui::theme::{Theme, ThemeName};
use kaudit::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

#[path = "common/timing.rs"]
mod timing;
use timing::median;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn main() {
    // 1. From nothing to the dashboard drawn with data (what `kaudit demo` does after start).
    let first = median(
        (0..9)
            .map(|_| {
                let t = Instant::now();
                let audit = Session::open(&Source::Demo, &SessionOptions::default()).unwrap();
                let mut app = App::new(Theme::new(ThemeName::Dark), "demo".into(), (160, 48));
                app.update(Event::Loaded(Box::new(Ok(Prepared::new(audit)))));
                let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
                terminal.draw(|f| ui::draw(f, &app)).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "demo: load, check and first full frame: {:.1} ms (median of 9)  [target < 150 ms]",
        ms(first)
    );

    // 2. and 3. A source with over 100,000 findings.
    let dir = std::env::temp_dir().join("kaudit-bench-tui-10k");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let written = common::write_folder(&dir);
    assert_eq!(written, common::TARGET);
    let source = Source::Manifests(vec![dir.clone()]);
    let audit = Session::open(&source, &SessionOptions::default()).unwrap();
    let findings = audit.report.findings.len();
    let mut app = App::new(Theme::new(ThemeName::Dark), "bench".into(), (160, 48));
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(audit)))));
    for c in ":findings".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let frame = median(
        (0..50)
            .map(|i| {
                key(
                    &mut app,
                    if i % 2 == 0 {
                        KeyCode::PageDown
                    } else {
                        KeyCode::Down
                    },
                );
                let t = Instant::now();
                terminal.draw(|f| ui::draw(f, &app)).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "frame of the findings table with {findings} rows: {:.2} ms (median of 50)  [target < 5 ms]",
        ms(frame)
    );

    key(&mut app, KeyCode::Char('/'));
    let mut per_key = Vec::new();
    for c in "pod005 web".chars() {
        let t = Instant::now();
        key(&mut app, KeyCode::Char(c));
        per_key.push(t.elapsed());
    }
    for _ in 0..10 {
        let t = Instant::now();
        key(&mut app, KeyCode::Backspace);
        per_key.push(t.elapsed());
    }
    if std::env::var_os("KAUDIT_BENCH_KEYS").is_some() {
        println!("{:?}", per_key.iter().map(|d| ms(*d)).collect::<Vec<_>>());
    }
    let worst = per_key.iter().max().copied().unwrap_or_default();
    println!(
        "filter as you type over {findings} rows: median {:.2} ms, worst {:.2} ms per key ({} keys)  [target < 16 ms]",
        ms(median(per_key.clone())),
        ms(worst),
        per_key.len()
    );
}
