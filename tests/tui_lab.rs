//! The TUI's Lab view (`:lab`): tasks by domain with their status, a task started, checked
//! (failing, then passing with the reference solution), its hint, its page, the findings and
//! rules it links to, and the exam's timer in the header.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::lab::catalog;
use kaudit::tui::app::{App, Event, ExamClock, Lab, PaneId, View};
use kaudit::tui::effects;
use kaudit::tui::jobs::Jobs;
use std::path::{Path, PathBuf};

#[path = "common/tui.rs"]
mod tui;
use tui::{demo_app, run_options, screen};

/// Presses keys, carrying out their effects as the runtime would (jobs run in place).
fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn press(app: &mut App, code: KeyCode) {
    let scratch = tempfile::tempdir().unwrap();
    if let Some(effect) = app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
        && let Some(event) =
            effects::perform(app, effect, &run_options(scratch.path()), &Jobs::new(None))
    {
        app.update(event);
    }
}

/// The demo in the TUI with the built-in tasks' folders under `root`, none started.
fn lab_app(size: (u16, u16), root: &Path, exam: Option<ExamClock>) -> App {
    let mut app = demo_app(size);
    let tasks = catalog::tasks().map_err(|e| e.to_string());
    app.lab = Lab::new(tasks, root.to_path_buf(), exam, |f| {
        f.join(".kaudit-lab.json").is_file()
    });
    app.refresh(PaneId::Lab);
    keys(&mut app, ":lab");
    press(&mut app, KeyCode::Enter);
    app
}

/// Selects the task with this id by filtering the table.
fn select(app: &mut App, id: &str) {
    keys(app, &format!("/{id}"));
    press(app, KeyCode::Enter);
    let row = app.lab.pane.rows[app.lab.pane.selected];
    assert_eq!(app.lab.tasks[row].id, id);
}

#[test]
fn the_lab_view_at_80x24_and_160x48() {
    for (size, suffix) in [((80, 24), "80x24"), ((160, 48), "160x48")] {
        let app = lab_app(size, Path::new("/home/student/lab"), None);
        assert_eq!(app.view, View::Lab);
        let text = screen(&app);
        assert!(text.contains("Lab: CKS practice"), "{text}");
        assert!(text.contains("default-deny"), "{text}");
        insta::assert_snapshot!(format!("lab_{suffix}"), text);
    }
}

#[test]
fn a_task_is_started_checked_failing_then_passing_from_the_keys() {
    let root = tempfile::tempdir().unwrap();
    let mut app = lab_app((160, 48), root.path(), None);
    select(&mut app, "privileged-container");
    let task = app.current_task().unwrap();
    let folder = root.path().join("privileged-container");

    // Checking before starting says what to do.
    keys(&mut app, "c");
    assert!(
        app.status
            .as_deref()
            .unwrap()
            .contains("s writes the scenario"),
        "{:?}",
        app.status
    );

    keys(&mut app, "s");
    assert!(folder.join("TASK.md").is_file(), "the scenario was written");
    assert!(screen(&app).contains("started"));
    keys(&mut app, "s");
    assert!(
        app.status.as_deref().unwrap().contains("already started"),
        "{:?}",
        app.status
    );

    keys(&mut app, "c");
    let text = screen(&app);
    assert!(text.contains("failed "), "{text}");
    assert!(text.contains("✗ FAIL"), "{text}");
    assert!(
        app.status.as_deref().unwrap().contains("not yet"),
        "{:?}",
        app.status
    );

    // The reference solution written over the scenario passes.
    for (rel, bytes) in &app.lab.tasks[task].solution {
        let path = folder.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    keys(&mut app, "c");
    let text = screen(&app);
    assert!(text.contains("passed"), "{text}");
    assert!(text.contains("Last check: PASSED"), "{text}");

    // The hint, on request.
    let hint_line = app.lab.tasks[task].hint.lines().next().unwrap().to_string();
    let start: String = hint_line.chars().take(30).collect();
    assert!(!screen(&app).contains(&start));
    keys(&mut app, "h");
    assert!(screen(&app).contains(&start), "{}", screen(&app));

    // A task whose folder was deleted says it cannot be checked.
    std::fs::remove_dir_all(&folder).unwrap();
    keys(&mut app, "c");
    assert!(screen(&app).contains("error"), "{}", screen(&app));
}

#[test]
fn a_task_page_links_to_its_rules_and_their_findings() {
    let root = tempfile::tempdir().unwrap();
    let mut app = lab_app((160, 48), root.path(), None);
    select(&mut app, "psa-restricted");
    press(&mut app, KeyCode::Enter);
    let View::LabTask(task) = app.view else {
        panic!("enter opens the task's page: {:?}", app.view)
    };
    let rules = app.lab.tasks[task].rules.clone();
    assert!(rules.len() > 1, "a task about several rules");
    let text = screen(&app);
    assert!(text.contains("Rules it exercises"), "{text}");
    assert!(text.contains("findings in this audit"), "{text}");

    // f: the findings of every one of its rules in the demo's audit, and nothing else.
    keys(&mut app, "f");
    assert_eq!(app.view, View::Findings);
    let shown: Vec<&str> = app
        .findings
        .rows
        .iter()
        .map(|r| app.model.findings[*r].rule_id)
        .collect();
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|r| rules.iter().any(|x| x == r)),
        "{shown:?}"
    );
    let expected = app
        .model
        .findings
        .iter()
        .filter(|f| rules.iter().any(|r| r == f.rule_id))
        .count();
    assert_eq!(
        shown.len(),
        expected,
        "every finding of its rules is listed"
    );

    // Back to the page, then r: its rules.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('-'));
    assert_eq!(app.view, View::LabTask(task));
    keys(&mut app, "r");
    assert_eq!(app.view, View::Rules);
    let listed: Vec<&str> = app
        .rules
        .rows
        .iter()
        .map(|r| app.model.rules[*r].rule.id)
        .collect();
    assert_eq!(listed.len(), rules.len(), "{listed:?}");
}

#[test]
fn the_exam_timer_runs_in_the_header_and_numbers_its_tasks() {
    let exam_dir = PathBuf::from("/home/student/kaudit-exam");
    let exam = ExamClock {
        deadline: 1_000_000 + 3723,
        folder: exam_dir.clone(),
        tasks: vec!["rbac-exec".into(), "default-deny".into()],
    };
    let mut app = lab_app((160, 48), Path::new("/home/student"), Some(exam));
    app.update(Event::Tick {
        data_age_secs: 1,
        now_unix: 1_000_000,
    });
    let text = screen(&app);
    assert!(text.contains("exam 1:02:03 left"), "{text}");
    assert!(text.contains(" 1. rbac-exec"), "{text}");
    assert!(text.contains(" 2. default-deny"), "{text}");
    select(&mut app, "default-deny");
    assert_eq!(
        app.lab.folder(app.current_task().unwrap()),
        exam_dir.join("default-deny")
    );
    assert!(screen(&app).contains("Exam task 2 of 2"));

    app.update(Event::Tick {
        data_age_secs: 2,
        now_unix: 1_000_000 + 4000,
    });
    assert!(screen(&app).contains("time is up"), "{}", screen(&app));
}

#[test]
fn a_catalog_that_does_not_read_is_said_not_hidden() {
    let mut app = demo_app((100, 30));
    app.lab = Lab::new(
        Err("/tmp/tasks/x: no task.yaml".into()),
        PathBuf::from("/tmp"),
        None,
        |_| false,
    );
    keys(&mut app, ":lab");
    press(&mut app, KeyCode::Enter);
    let text = screen(&app);
    assert!(text.contains("the tasks do not read"), "{text}");
    assert!(text.contains("no task.yaml"), "{text}");
    // Keys on an empty lab do nothing, and do not panic.
    keys(&mut app, "cshfr");
}
