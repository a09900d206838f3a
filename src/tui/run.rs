//! The runtime: terminal setup and restore (also on panic), the background loader and input
//! threads, the event loop with coalesced rendering, and the effects `update` asks for.

use super::app::{App, Effect, Event, ExportFormat, ExportScope};
use super::theme::{Theme, ThemeName};
use super::ui;
use crate::session::{self, Session, SessionOptions};
use crate::sources::Source;
use crate::sources::live::LiveOptions;
use crate::sources::locate::TextSource;
use crate::triage::{self, Exemption};
use crate::yaml;
use crossterm::event::{
    self as term_event, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, KeyCode,
    KeyEvent, KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Minimum time between two frames: input bursts are drained and drawn once.
const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_millis(250);

pub struct Options {
    pub theme: ThemeName,
    pub mouse: bool,
    /// Where `s` writes exemptions.
    pub exemptions_path: PathBuf,
    /// Where `e` writes reports.
    pub export_dir: PathBuf,
    pub log_path: Option<PathBuf>,
    /// The kubeconfig options given (`:ctx` lists and switches contexts with them).
    pub kubeconfig: LiveOptions,
    /// Where slow effects (reading a raw event out of a big log) send their result; set by
    /// [`run`]. Without it they run in place (tests).
    pub events: Option<Sender<Event>>,
}

/// Appends a line to the log file; the TUI owns the terminal, so nothing goes to it.
pub struct Log(Option<std::fs::File>);

impl Log {
    pub fn open(path: Option<&PathBuf>) -> Log {
        let file = path.and_then(|p| {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        Log(file)
    }

    pub fn line(&mut self, message: &str) {
        if let Some(f) = &mut self.0 {
            let _ = writeln!(f, "{} {message}", crate::time::now_rfc3339());
        }
    }
}

/// Restores the terminal when dropped, whatever happened.
struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal(self.mouse);
    }
}

fn restore_terminal(mouse: bool) {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
}

pub fn run(
    source: Source,
    session_options: SessionOptions,
    options: Options,
) -> Result<u8, String> {
    let source_label = source.label();
    let mut log = Log::open(options.log_path.as_ref());
    log.line(&format!("start: {source_label}"));
    let started = Instant::now();

    enable_raw_mode().map_err(|e| format!("cannot use the terminal: {e}"))?;
    let _guard = TerminalGuard {
        mouse: options.mouse,
    };
    let mouse = options.mouse;
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal(mouse);
        previous_hook(info);
    }));
    let mut stdout = std::io::stdout();
    execute!(stdout, EnterAlternateScreen).map_err(|e| e.to_string())?;
    if options.mouse {
        execute!(stdout, EnableMouseCapture).map_err(|e| e.to_string())?;
    }
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout)).map_err(|e| e.to_string())?;
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut app = App::new(
        Theme::new(options.theme),
        source_label,
        (size.width, size.height),
    );
    terminal
        .draw(|f| ui::draw(f, &app))
        .map_err(|e| e.to_string())?;
    log.line(&format!(
        "first frame after {} ms",
        started.elapsed().as_millis()
    ));

    let (tx, rx) = mpsc::channel();
    let mut options = options;
    options.events = Some(tx.clone());
    spawn_loader(tx.clone(), source.clone(), session_options.clone());
    spawn_input(tx.clone());
    let mut session = Reading {
        tx,
        source,
        session_options,
        kubeconfig: options.kubeconfig.clone(),
        generation: Arc::new(AtomicU64::new(0)),
        last_change: None,
        previous_context: None,
    };
    let result = event_loop(
        &mut terminal,
        &mut app,
        &rx,
        &options,
        &mut log,
        started,
        &mut session,
    );
    log.line("quit");
    result
}

/// What reading the source again needs, and the watch that follows a live read.
struct Reading {
    tx: Sender<Event>,
    source: Source,
    session_options: SessionOptions,
    /// The kubeconfig options given, for `:ctx` whatever the source.
    kubeconfig: LiveOptions,
    /// Bumped at every read; a watcher of an older read stops.
    generation: Arc<AtomicU64>,
    /// When a watch last reported a change not yet re-read.
    last_change: Option<Instant>,
    /// The context before a `:ctx` switch whose read has not succeeded yet: a failed
    /// switch goes back to it.
    previous_context: Option<Option<String>>,
}

/// A live view re-reads on its own when the cluster changed: a few seconds after the last
/// change (changes come in bursts), and not more often than this.
const AUTO_REREAD_EVERY: Duration = Duration::from_secs(30);
const AUTO_REREAD_QUIET: Duration = Duration::from_secs(3);

impl Reading {
    fn reload(&mut self, context: Option<String>, log: &mut Log) {
        if let Some(c) = context {
            self.previous_context = Some(self.kubeconfig.context.replace(c));
            if let Source::Live(options) = &mut self.source {
                options.context = self.kubeconfig.context.clone();
            }
        }
        self.last_change = None;
        log.line("re-reading the source");
        spawn_loader(
            self.tx.clone(),
            self.source.clone(),
            self.session_options.clone(),
        );
    }

    /// A read finished. A good one replaces the previous read: its watchers and follower
    /// stop (the new ones start after this). A failed one leaves them running, and a failed
    /// `:ctx` switch goes back to the context that worked.
    fn loaded(&mut self, ok: bool) {
        if ok {
            self.previous_context = None;
            self.generation.fetch_add(1, Ordering::SeqCst);
        } else if let Some(previous) = self.previous_context.take() {
            if let Source::Live(options) = &mut self.source {
                options.context = previous.clone();
            }
            self.kubeconfig.context = previous;
        }
    }

    /// After a live read, follows its lists and reports changes until the next read.
    fn watch(&self, audit: &Session) {
        let Source::Live(options) = &self.source else {
            return;
        };
        if audit.inventory.watch_points.is_empty() {
            return;
        }
        let points = audit.inventory.watch_points.clone();
        let options = options.clone();
        let tx = self.tx.clone();
        let generation = self.generation.clone();
        let mine = generation.load(Ordering::SeqCst);
        std::thread::spawn(move || {
            let current = || generation.load(Ordering::SeqCst) == mine;
            let _ = crate::sources::live::watch::follow(&options, points, current, |what| {
                current() && tx.send(Event::Changed(what)).is_ok()
            });
        });
    }

    /// `--follow`: polls the active audit log and sends each new analysis, until the next
    /// read replaces it.
    fn follow(&self, mut follower: crate::auditlog::follow::Follower) {
        let tx = self.tx.clone();
        let generation = self.generation.clone();
        let mine = generation.load(Ordering::SeqCst);
        std::thread::spawn(move || {
            while generation.load(Ordering::SeqCst) == mine {
                std::thread::sleep(Duration::from_secs(1));
                if follower.poll()
                    && tx
                        .send(Event::AuditLogUpdated(Box::new(follower.snapshot())))
                        .is_err()
                {
                    return;
                }
            }
        });
    }

    fn contexts(&self) -> Result<String, String> {
        let (names, current) = crate::sources::live::kubeconfig::contexts(&self.kubeconfig)?;
        if names.is_empty() {
            return Err(
                "no kubeconfig contexts (KUBECONFIG, --kubeconfig or ~/.kube/config)".into(),
            );
        }
        let active = self.kubeconfig.context.clone().or(current);
        let shown: Vec<String> = names
            .iter()
            .map(|n| {
                let n = crate::sanitize::strip_controls(n).into_owned();
                if Some(&n) == active.as_ref() {
                    format!("*{n}")
                } else {
                    n
                }
            })
            .collect();
        Ok(format!(
            "contexts: {} (:ctx NAME switches for this session)",
            shown.join(", ")
        ))
    }
}

fn spawn_loader(tx: Sender<Event>, source: Source, options: SessionOptions) {
    std::thread::spawn(move || {
        let _ = tx.send(Event::Progress(
            "reading the source and running every check".into(),
        ));
        let result = Session::open(&source, &options);
        let _ = tx.send(Event::Loaded(Box::new(result)));
    });
}

fn spawn_input(tx: Sender<Event>) {
    std::thread::spawn(move || {
        loop {
            let event = match term_event::read() {
                Ok(TermEvent::Key(k)) if k.kind != crossterm::event::KeyEventKind::Release => {
                    Event::Key(k)
                }
                Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                // With --mouse, the wheel scrolls like j/k.
                Ok(TermEvent::Mouse(m)) => match m.kind {
                    MouseEventKind::ScrollDown => {
                        Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))
                    }
                    MouseEventKind::ScrollUp => {
                        Event::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE))
                    }
                    _ => continue,
                },
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    app: &mut App,
    rx: &Receiver<Event>,
    options: &Options,
    log: &mut Log,
    started: Instant,
    session: &mut Reading,
) -> Result<u8, String> {
    let mut loaded_at: Option<Instant> = None;
    let mut last_tick = Instant::now();
    let mut last_draw = Instant::now();
    let mut dirty = false;
    loop {
        let wait = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            TICK.saturating_sub(last_tick.elapsed())
        };
        let first = match rx.recv_timeout(wait) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(0),
        };
        // Drain everything pending before drawing once.
        let mut events: Vec<Event> = first.into_iter().collect();
        events.extend(rx.try_iter());
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            events.push(Event::Tick {
                data_age_secs: loaded_at.map_or(0, |t| t.elapsed().as_secs()),
            });
        }
        for mut event in events {
            if let Event::Loaded(result) = &mut event {
                match result.as_mut() {
                    Ok(a) => {
                        loaded_at = Some(Instant::now());
                        session.loaded(true);
                        session.watch(a);
                        if let Some(follower) = a.follower.take() {
                            session.follow(follower);
                        }
                        log.line(&format!(
                            "loaded in {} ms: {} findings",
                            started.elapsed().as_millis(),
                            a.report.findings.len()
                        ))
                    }
                    Err(e) => {
                        session.loaded(false);
                        log.line(&format!("load failed: {e}"))
                    }
                }
            }
            if let Event::Changed(what) = &event {
                session.last_change = Some(Instant::now());
                log.line(&format!("cluster changed: {what}"));
            }
            if let Some(effect) = app.update(event) {
                match effect {
                    Effect::Quit => return Ok(0),
                    Effect::Reload { context } => {
                        session.reload(context, log);
                        dirty = true;
                        continue;
                    }
                    Effect::ListContexts => {
                        app.update(Event::Done(session.contexts()));
                        dirty = true;
                        continue;
                    }
                    _ => {}
                }
                let follow_up = perform(app, effect, options, log);
                if let Some(e) = follow_up {
                    app.update(e);
                }
            }
            dirty = true;
        }
        if app.quit {
            return Ok(0);
        }
        // Changes seen by the watch: re-read once they have settled.
        if let (Some(changed), Some(loaded)) = (session.last_change, loaded_at)
            && changed.elapsed() >= AUTO_REREAD_QUIET
            && loaded.elapsed() >= AUTO_REREAD_EVERY
            && app.reloading.is_none()
            && app.load == super::app::LoadState::Ready
        {
            if let Some(Effect::Reload { context }) = app.request_reload() {
                session.reload(context, log);
            }
            dirty = true;
        }
        if dirty && last_draw.elapsed() >= FRAME {
            terminal
                .draw(|f| ui::draw(f, app))
                .map_err(|e| e.to_string())?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
}

/// Carries out an effect; returns the event that reports its outcome.
pub fn perform(app: &mut App, effect: Effect, options: &Options, log: &mut Log) -> Option<Event> {
    match effect {
        // The event loop handles these; they need the session.
        Effect::Quit | Effect::Reload { .. } | Effect::ListContexts => None,
        Effect::LoadYaml { finding } => {
            let audit = app.audit.as_ref()?;
            let f = audit.report.findings.get(finding)?;
            let loc = f.location.clone()?;
            // An audit event: the raw event from its log line, pretty-printed. Reading up
            // to a late line of a big log takes a while, so off the UI thread when it can.
            if let Some(event) = &f.subject.event {
                let (file, line, id) = (
                    loc.file.to_string(),
                    u64::from(loc.line),
                    event.audit_id.clone(),
                );
                let source = audit.source.clone();
                let load = move || {
                    let lines = source
                        .open(&file)
                        .map_err(|e| format!("cannot read {file}: {e}"))
                        .and_then(|reader| {
                            crate::auditlog::reader::raw_event_in(reader, &file, line, &id)
                        })
                        .unwrap_or_else(|e| vec![format!("(the raw event cannot be shown: {e})")]);
                    Event::Yaml {
                        finding,
                        first_line: 1,
                        lines,
                        raw_event: true,
                    }
                };
                return match options.events.clone() {
                    Some(tx) => {
                        std::thread::spawn(move || {
                            let _ = tx.send(load());
                        });
                        None
                    }
                    None => Some(load()),
                };
            }
            let text = audit.source.text(&loc.file)?;
            let docs = yaml::split_documents(&text);
            let doc = docs.iter().rev().find(|d| d.first_line <= loc.line)?;
            let lines = doc.text.lines().map(str::to_string).collect();
            Some(Event::Yaml {
                finding,
                first_line: doc.first_line,
                lines,
                raw_event: false,
            })
        }
        Effect::Export {
            format,
            findings,
            scope,
        } => {
            let audit = app.audit.as_ref()?;
            let result = export(
                audit,
                format,
                findings.as_deref(),
                scope,
                &options.export_dir,
            );
            let (Ok(m) | Err(m)) = &result;
            log.line(m);
            Some(Event::Done(result))
        }
        Effect::Suppress { finding, reason } => {
            let shown = app.shown_finding_id();
            let mut audit = app.audit.take()?;
            let result = suppress(&mut audit, finding, reason, &options.exemptions_path);
            Some(finish_rerun(app, audit, result, shown, log))
        }
        Effect::Unsuppress { finding } => {
            let shown = app.shown_finding_id();
            let mut audit = app.audit.take()?;
            let result = unsuppress(&mut audit, finding, &options.exemptions_path);
            Some(finish_rerun(app, audit, result, shown, log))
        }
    }
}

fn finish_rerun(
    app: &mut App,
    audit: Session,
    result: Result<String, String>,
    shown: Option<crate::findings::FindingId>,
    log: &mut Log,
) -> Event {
    match result {
        Ok(message) => {
            log.line(&message);
            Event::Rerun(Box::new(audit), message, shown)
        }
        Err(e) => {
            log.line(&e);
            app.audit = Some(audit);
            Event::Done(Err(e))
        }
    }
}

fn export(
    audit: &Session,
    format: ExportFormat,
    findings: Option<&[usize]>,
    scope: ExportScope,
    dir: &std::path::Path,
) -> Result<String, String> {
    let mut report = audit.report.clone();
    if let Some(keep) = findings {
        let keep: std::collections::HashSet<usize> = keep.iter().copied().collect();
        let mut i = 0;
        report.findings.retain(|_| {
            let k = keep.contains(&i);
            i += 1;
            k
        });
        report.source.description = format!(
            "{} ({}, {} findings)",
            report.source.description,
            scope.label(),
            report.findings.len()
        );
    }
    let stamp = crate::time::file_stamp();
    let path = dir.join(format!("kaudit-report-{stamp}.{}", format.extension()));
    let file = std::fs::File::create(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let written = match format {
        ExportFormat::Md => out.write_all(crate::report::markdown::render(&report).as_bytes()),
        ExportFormat::Json => crate::report::json::write(&report, &mut out),
        ExportFormat::Sarif => crate::report::sarif::write(&report, &mut out),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "wrote {} ({} findings, {})",
        path.display(),
        report.findings.len(),
        scope.label()
    ))
}

fn write_exemptions(path: &std::path::Path, list: &[Exemption]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, triage::render_exemptions(list))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads the file fresh (another kaudit may have written it), adds the entry, re-runs.
fn suppress(
    audit: &mut Session,
    finding: usize,
    reason: String,
    path: &std::path::Path,
) -> Result<String, String> {
    let f = audit
        .report
        .findings
        .get(finding)
        .ok_or("that finding no longer exists")?;
    let mut list = if path.exists() {
        session::read_exemptions(path)?
    } else {
        Vec::new()
    };
    let owner = std::env::var("USER").ok().filter(|u| !u.is_empty());
    list.push(Exemption {
        rule: f.rule_id.to_string(),
        subject: f.subject.path(),
        reason,
        expires: None,
        owner,
    });
    let label = format!("{} on {}", f.rule_id, f.subject.path());
    write_exemptions(path, &list)?;
    audit.exemptions = list;
    audit.rerun();
    Ok(format!(
        "suppressed {label}; written to {} (s again undoes)",
        path.display()
    ))
}

fn unsuppress(
    audit: &mut Session,
    finding: usize,
    path: &std::path::Path,
) -> Result<String, String> {
    let f = audit
        .report
        .findings
        .get(finding)
        .ok_or("that finding no longer exists")?
        .clone();
    let mut list = if path.exists() {
        session::read_exemptions(path)?
    } else {
        audit.exemptions.clone()
    };
    let before = list.len();
    list.retain(|e| !triage::exemption_matches(e, &f));
    if list.len() == before {
        return Err(format!(
            "no exemption in {} matches {} on {}; it may come from another --exemptions file",
            path.display(),
            f.rule_id,
            f.subject.path()
        ));
    }
    write_exemptions(path, &list)?;
    audit.exemptions = list;
    audit.rerun();
    Ok(format!(
        "{} on {} is no longer suppressed ({} updated)",
        f.rule_id,
        f.subject.path(),
        path.display()
    ))
}
