//! The HTML report in a real browser (headless Chromium): its script runs (every long table
//! gets a filter box), its table of contents links to sections that exist, and it renders.
//! Skips loudly without Chromium unless KAUDIT_REQUIRE_E2E is set (`.ci/run` installs it).

use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KAUDIT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

fn headless(browser: &Path, args: &[&str], page: &Path) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

#[test]
fn the_html_report_works_in_a_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("KAUDIT_REQUIRE_E2E").is_none(),
            "KAUDIT_REQUIRE_E2E is set but no Chromium was found (apt install chromium)"
        );
        eprintln!("SKIPPED: no Chromium (apt install chromium, or KAUDIT_CHROMIUM=PATH)");
        return;
    };
    let session = Session::open(&Source::Demo, &SessionOptions::default()).unwrap();
    let html = kaudit::report::html::render(&session.report);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    let out = headless(
        &browser,
        &["--virtual-time-budget=3000", "--dump-dom"],
        &page,
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("kaudit report"),
        "no page: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The script ran: the long tables got their filter box.
    let boxes = dom.matches("class=\"filter\"").count();
    assert!(
        boxes >= 5,
        "the inline script did not run ({boxes} filter boxes)"
    );
    // Every link of the table of contents lands on a section.
    let nav = dom.split("<nav id=\"contents\">").nth(1).unwrap();
    let nav = nav.split("</nav>").next().unwrap();
    let targets: Vec<&str> = nav
        .split("href=\"#")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert!(targets.len() >= 7, "{targets:?}");
    for t in &targets {
        assert!(
            dom.contains(&format!("id=\"{t}\"")),
            "the contents link to #{t}, which is not there"
        );
    }
    // What the Markdown has beside the findings is there too.
    for part in [
        "id=\"namespaces\"",
        "id=\"identities\"",
        "id=\"timeline\"",
        "id=\"denied\"",
    ] {
        assert!(dom.contains(part), "no {part}");
    }

    let shot = dir.path().join("report.png");
    let out = headless(
        &browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
        &page,
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "no screenshot ({size} bytes): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
