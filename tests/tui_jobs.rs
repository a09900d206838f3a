//! The TUI never blocks: the real event loop keeps answering keys while a job is stuck.
//! The job here reads an object's YAML from a file that has become a FIFO with no writer,
//! as a file on a hung network share would: it cannot finish until the test writes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kaudit::session::{Session, SessionOptions};
use kaudit::sources::Source;
use kaudit::tui::app::{App, Event, Overlay, Prepared, View};
use kaudit::tui::jobs::Jobs;
use kaudit::tui::run::{Options, Reading, event_loop};
use kaudit::tui::theme::{Theme, ThemeName};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: true
";

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn a_key_is_answered_while_a_job_is_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, POD).unwrap();
    let source = Source::Manifests(vec![file.clone()]);
    let session = Session::open(&source, &SessionOptions::default()).unwrap();
    assert!(!session.report.findings.is_empty());
    // Read once; now reading it again blocks until a writer opens it.
    std::fs::remove_file(&file).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&file).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo (coreutils) works");

    let (tx, rx) = mpsc::channel();
    let jobs = Jobs::new(Some(tx.clone()));
    let options = Options {
        theme: ThemeName::Mono,
        mouse: false,
        exemptions_path: dir.path().join("exemptions.yaml"),
        export_dir: dir.path().to_path_buf(),
        store: None,
        author: None,
        kubeconfig: Default::default(),
    };
    let mut reading = Reading::new(
        tx.clone(),
        source,
        SessionOptions::default(),
        Default::default(),
    );
    let mut app = App::new(Theme::new(ThemeName::Mono), "test".into(), (100, 30));
    app.update(Event::Loaded(Box::new(Ok(Prepared::new(session)))));

    // The findings view, then the first finding: its YAML is read by a job that sticks.
    for c in ":findings".chars() {
        tx.send(key(KeyCode::Char(c))).unwrap();
    }
    tx.send(key(KeyCode::Enter)).unwrap();
    tx.send(key(KeyCode::Enter)).unwrap();
    // Keys typed while it sticks: help, then quit.
    tx.send(key(KeyCode::Char('?'))).unwrap();
    tx.send(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))
    .unwrap();

    // The loop runs on its own thread so that a loop waiting for the job fails the test
    // instead of hanging it.
    let started = Instant::now();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let code = event_loop(&mut terminal, &mut app, &rx, &options, &jobs, &mut reading);
        let _ = done.send((code, app, rx));
    });
    let (code, app, rx) = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the event loop answered the keys without waiting for the job");
    let code = code.unwrap();
    let took = started.elapsed();
    assert_eq!(code, 0);
    assert!(matches!(app.view, View::Detail(_)), "the finding opened");
    assert!(
        matches!(app.overlay, Overlay::Help { .. }),
        "the key typed during the job was answered"
    );
    assert!(app.yaml.lines.is_empty(), "the job has not finished");
    assert!(took < Duration::from_secs(2), "quit took {took:?}");

    // Unstick it: the job finishes and its answer arrives.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    writer.write_all(POD.as_bytes()).unwrap();
    drop(writer);
    let answer = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the job ends");
    match answer {
        Event::Yaml { lines, .. } => assert!(lines.iter().any(|l| l.contains("privileged"))),
        _ => panic!("the job answers with the YAML"),
    }
}

/// `--verify-signatures`: the audit is sent before any registry is asked (its verdicts are
/// pending, for read 1), then the count for the header, then the verdicts of read 1. The
/// registry here refuses connections: its image's verdict is an error, and a note says so.
#[test]
fn the_audit_is_shown_before_signatures_are_looked_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, POD.replace("nginx:1.27", "127.0.0.1:9/shop/web:1.0")).unwrap();
    let registry = "127.0.0.1:9".to_string();
    let options = SessionOptions {
        signature_check: Some(kaudit::session::signatures::SignatureCheck {
            keys: Vec::new(),
            identities: Vec::new(),
            trusted_root: None,
            store: None,
            platform: kaudit::registry::Platform::parse("linux/amd64").unwrap(),
            insecure: vec![registry],
            timeout: Duration::from_secs(5),
        }),
        ..SessionOptions::default()
    };
    let (tx, rx) = mpsc::channel();
    let mut reading = Reading::new(
        tx,
        Source::Manifests(vec![file]),
        options,
        Default::default(),
    );
    reading.start();
    let mut seen = Vec::new();
    loop {
        let event = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the loader goes on to the verdicts");
        match event {
            Event::Progress(p) => seen.push(p),
            Event::Loaded(result) => {
                let prepared = result.as_ref().as_ref().expect("the pod is audited");
                assert_eq!(prepared.signatures_pending, Some(1));
                assert!(prepared.session.report.signatures.is_none());
                seen.push("loaded".into());
            }
            Event::SignaturesChecked { read, found } => {
                assert_eq!(read, 1);
                let (facts, notes) = *found;
                assert!(facts.is_some());
                assert!(
                    notes.iter().any(|n| n.contains("signatures not verified")),
                    "{notes:?}"
                );
                break;
            }
            Event::Done(_) => {}
            _ => panic!("only the read's events"),
        }
    }
    assert_eq!(
        seen,
        [
            "reading the source and running every check",
            "loaded",
            "signatures: looking up 1 image"
        ]
    );
}
