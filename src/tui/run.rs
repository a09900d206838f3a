//! The runtime: the background reads of the source (and the watch and follower that keep
//! them current), and the event loop with coalesced rendering. The terminal is in
//! [`super::terminal`], slow effects in [`super::effects`] as [`super::jobs`].

use super::app::{App, Effect, Event, Prepared};
use super::effects::perform;
use super::jobs::Jobs;
use super::theme::{Theme, ThemeName};
use super::ui;
use crate::session::{Session, SessionOptions};
use crate::sources::Source;
use crate::sources::live::LiveOptions;
use ratatui::Terminal;
use ratatui::backend::Backend;
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
    /// The audit history, where `m` keeps triage decisions (`None`: `--no-store`).
    pub store: Option<PathBuf>,
    /// Who decides (`--author`); else git's `user.name`, else the OS user.
    pub author: Option<String>,
    /// The kubeconfig options given (`:ctx` lists and switches contexts with them).
    pub kubeconfig: LiveOptions,
}

pub fn run(
    source: Source,
    session_options: SessionOptions,
    options: Options,
) -> Result<u8, String> {
    let source_label = source.label();
    tracing::info!("start: {source_label}");
    let started = Instant::now();
    let (mut terminal, _guard) = super::terminal::take(options.mouse)?;
    let size = terminal.size().map_err(|e| e.to_string())?;
    let mut app = App::new(
        Theme::new(options.theme),
        source_label,
        (size.width, size.height),
    );
    terminal
        .draw(|f| ui::draw(f, &app))
        .map_err(|e| e.to_string())?;
    tracing::info!("first frame after {} ms", started.elapsed().as_millis());

    let (tx, rx) = mpsc::channel();
    let jobs = Jobs::new(Some(tx.clone()));
    super::terminal::spawn_input(tx.clone());
    let mut reading = Reading::new(tx, source, session_options, options.kubeconfig.clone());
    reading.started = started;
    reading.start();
    // The lab's tasks are read while the source is (the first frame is already up).
    app.lab = super::lab::load(options.store.as_deref());
    app.now_unix = crate::time::unix_now();
    app.refresh(super::app::PaneId::Lab);
    let result = event_loop(&mut terminal, &mut app, &rx, &options, &jobs, &mut reading);
    tracing::info!("quit");
    result
}

/// What reading the source again needs, and the watch that follows a live read.
pub struct Reading {
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
    /// When the current read started (the TUI's start for the first): the log says how
    /// long each read took.
    started: Instant,
    /// Reads started: each read's number ties its background results to it.
    reads: u64,
}

/// A live view re-reads on its own when the cluster changed: a few seconds after the last
/// change (changes come in bursts), and not more often than this.
const AUTO_REREAD_EVERY: Duration = Duration::from_secs(30);
const AUTO_REREAD_QUIET: Duration = Duration::from_secs(3);

impl Reading {
    /// Reads of `source`, whose events go to `tx`; nothing is read before [`Reading::start`].
    pub fn new(
        tx: Sender<Event>,
        source: Source,
        session_options: SessionOptions,
        kubeconfig: LiveOptions,
    ) -> Reading {
        Reading {
            tx,
            source,
            session_options,
            kubeconfig,
            generation: Arc::new(AtomicU64::new(0)),
            last_change: None,
            previous_context: None,
            started: Instant::now(),
            reads: 0,
        }
    }

    /// The first read.
    pub fn start(&mut self) {
        self.spawn();
    }

    fn spawn(&mut self) {
        self.reads += 1;
        spawn_loader(
            self.tx.clone(),
            self.source.clone(),
            self.session_options.clone(),
            self.reads,
        );
    }

    fn reload(&mut self, context: Option<String>) {
        if let Some(c) = context {
            self.previous_context = Some(self.kubeconfig.context.replace(c));
            if let Source::Live(options) = &mut self.source {
                options.context = self.kubeconfig.context.clone();
            }
        }
        self.last_change = None;
        self.started = Instant::now();
        tracing::info!("re-reading the source");
        self.spawn();
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

    /// Whether `:ctx NAME` can switch to `name`: only a live read has contexts, and only the
    /// kubeconfig's exist.
    fn can_switch(&self, name: &str) -> Result<(), String> {
        let names = crate::sources::live::kubeconfig::contexts(&self.kubeconfig)
            .map(|(names, _)| names)
            .map_err(|e| e.to_string());
        switchable(&self.source, names, name)
    }

    fn contexts(&self) -> Result<String, String> {
        let (names, current) = crate::sources::live::kubeconfig::contexts(&self.kubeconfig)
            .map_err(|e| e.to_string())?;
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

/// Reads the source on a thread of its own and sends the audit (read number `read`), then
/// does the slow work that can wait until it is on screen.
fn spawn_loader(tx: Sender<Event>, source: Source, mut options: SessionOptions, read: u64) {
    // Images are scanned once the audit is on screen, with a count in the header; their
    // signatures are looked up then too (registries answer slowly, or not at all).
    let image_scan = options.image_scan.take();
    let signature_check = options.signature_check.take();
    std::thread::spawn(move || {
        let _ = tx.send(Event::Progress(
            "reading the source and running every check".into(),
        ));
        // The view model too: a 100,000-finding table is built here, not on the UI thread.
        let started = crate::time::now_rfc3339();
        let opened = Session::open(&source, &options).and_then(|mut session| {
            // Without a check the demo brings its recorded verdicts; they are not what was
            // asked for, and the real ones are on their way.
            if signature_check.is_some() && session.config.signatures.is_some() {
                session = session.with_signatures(None, Vec::new());
            }
            let store = session.compare(&options.history, &started)?;
            Ok((session, store))
        });
        let mut pulls = Vec::new();
        let mut inventory = None;
        let (result, save) = match opened {
            Ok((session, store)) => {
                let report = session.report.clone();
                if image_scan.is_some() {
                    pulls = crate::session::image_scan::pulls(&session.inventory);
                }
                inventory = Some(session.inventory.clone());
                let mut prepared = Prepared::new(session);
                prepared.signatures_pending = signature_check.is_some().then_some(read);
                (Ok(prepared), Some((store, report)))
            }
            Err(e) => (Err(e), None),
        };
        let _ = tx.send(Event::Loaded(Box::new(result)));
        // Saved once on screen: a 100,000-finding audit takes half a second to write.
        if let Some((store, report)) = save
            && let Err(e) =
                crate::session::history::save(store, &report, &started, &crate::time::now_rfc3339())
        {
            let _ = tx.send(Event::Done(Err(e)));
        }
        // Before the images: lookups take seconds where a scan takes minutes.
        if let (Some(check), Some(inventory)) = (&signature_check, &inventory) {
            check_signatures(&tx, &source, inventory, check, read);
        }
        if let Some(options) = image_scan
            && !pulls.is_empty()
        {
            scan_images(&tx, &pulls, &options);
        }
    });
}

/// `--scan-images` in the TUI: the count goes to the header as it grows, the result to the
/// app, which checks the cluster again with it.
fn scan_images(
    tx: &Sender<Event>,
    pulls: &[crate::session::image_scan::Pull],
    options: &crate::session::image_scan::ClusterScan,
) {
    let _ = tx.send(Event::Progress(format!("images 0/{}", pulls.len())));
    let progress = |done: usize, total: usize| {
        let _ = tx.send(Event::Progress(format!("images {done}/{total}")));
    };
    let found = crate::session::image_scan::scan_cluster(pulls, options, &progress);
    let _ = tx.send(Event::ImagesScanned(Box::new(found)));
}

/// `--verify-signatures` in the TUI: the count goes to the header, the verdicts to the app,
/// which checks the cluster again with them.
fn check_signatures(
    tx: &Sender<Event>,
    source: &Source,
    inventory: &crate::inventory::Inventory,
    check: &crate::session::signatures::SignatureCheck,
    read: u64,
) {
    let images = crate::session::image_scan::pulls(inventory).len();
    let _ = tx.send(Event::Progress(format!(
        "signatures: looking up {images} image{}",
        if images == 1 { "" } else { "s" }
    )));
    let mut notes = Vec::new();
    let facts = crate::session::signatures::gather(source, inventory, Some(check), &mut notes);
    let _ = tx.send(Event::SignaturesChecked {
        read,
        found: Box::new((facts, notes)),
    });
}

/// Applies events to the app as they come, hands effects to jobs, and draws at most once
/// per frame; returns when the app quits. Never waits on a job.
pub fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &Receiver<Event>,
    options: &Options,
    jobs: &Jobs,
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
                now_unix: crate::time::unix_now(),
            });
        }
        for mut event in events {
            if let Event::Loaded(result) = &mut event {
                match result.as_mut() {
                    Ok(Prepared { session: a, .. }) => {
                        loaded_at = Some(Instant::now());
                        session.loaded(true);
                        session.watch(a);
                        if let Some(follower) = a.follower.take() {
                            session.follow(follower);
                        }
                        tracing::info!(
                            "loaded in {} ms: {} findings",
                            session.started.elapsed().as_millis(),
                            a.report.findings.len()
                        )
                    }
                    Err(e) => {
                        session.loaded(false);
                        tracing::warn!("load failed: {e}")
                    }
                }
            }
            match &event {
                Event::Changed(what) => {
                    session.last_change = Some(Instant::now());
                    tracing::info!("cluster changed: {what}");
                }
                Event::Done(Ok(message) | Err(message)) | Event::Rejudged(_, message) => {
                    tracing::info!("{message}")
                }
                _ => {}
            }
            if let Some(effect) = app.update(event) {
                match effect {
                    Effect::Quit => return Ok(quit_code(app)),
                    Effect::Reload {
                        context: Some(name),
                    } if app.audit.is_some()
                        && let Err(why) = session.can_switch(&name) =>
                    {
                        // Nothing is re-read: the views keep the read they show.
                        app.reloading = None;
                        app.update(Event::Done(Err(why)));
                        dirty = true;
                        continue;
                    }
                    Effect::Reload { context } => {
                        session.reload(context);
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
                // A job that ran in place (no channel) answers at once.
                if let Some(e) = perform(app, effect, options, jobs) {
                    app.update(e);
                }
            }
            dirty = true;
        }
        if app.quit {
            return Ok(quit_code(app));
        }
        // Changes seen by the watch: re-read once they have settled.
        if let (Some(changed), Some(loaded)) = (session.last_change, loaded_at)
            && changed.elapsed() >= AUTO_REREAD_QUIET
            && loaded.elapsed() >= AUTO_REREAD_EVERY
            && app.reloading.is_none()
            && app.load == super::app::LoadState::Ready
        {
            if let Some(Effect::Reload { context }) = app.request_reload() {
                session.reload(context);
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

/// Quitting with nothing audited (the source never read) is a failed run, as the CLI's
/// exit code 2 says; otherwise the TUI ends well.
fn quit_code(app: &App) -> u8 {
    match app.load {
        super::app::LoadState::Failed { .. } => 2,
        _ => 0,
    }
}

/// `:ctx NAME` against the source read and the kubeconfig's contexts: `Err` says why not.
fn switchable(
    source: &Source,
    contexts: Result<Vec<String>, String>,
    name: &str,
) -> Result<(), String> {
    let shown = crate::sanitize::strip_controls(name).into_owned();
    match source {
        Source::Live(_) => {}
        Source::Demo => {
            return Err(format!(
                "no context {shown}: the demo is a recorded cluster; contexts come from a kubeconfig (kaudit --context NAME)"
            ));
        }
        _ => {
            return Err(format!(
                "no context {shown}: this session reads files, not a cluster; start kaudit with a kubeconfig context to switch between them"
            ));
        }
    }
    let names = contexts?;
    if names.iter().any(|n| n == name) {
        Ok(())
    } else {
        let known: Vec<String> = names
            .iter()
            .map(|n| crate::sanitize::strip_controls(n).into_owned())
            .collect();
        Err(format!(
            "no such context {shown} (the kubeconfig has: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_switches_only_to_contexts_that_exist_on_a_live_source() {
        let err = switchable(&Source::Demo, Ok(vec!["prod".into()]), "prod").unwrap_err();
        assert!(err.contains("demo") && err.contains("kubeconfig"), "{err}");
        let live = Source::Live(Default::default());
        let names = || Ok(vec!["prod".to_string(), "staging".to_string()]);
        assert!(switchable(&live, names(), "prod").is_ok());
        let err = switchable(&live, names(), "prdo").unwrap_err();
        assert!(
            err.contains("no such context prdo") && err.contains("prod, staging"),
            "{err}"
        );
        assert!(switchable(&live, Err("no kubeconfig".into()), "prod").is_err());
    }

    #[test]
    fn quitting_after_a_failed_read_is_a_failed_run() {
        use crate::tui::app::{App, Event};
        use crate::tui::theme::{Theme, ThemeName};
        let mut app = App::new(Theme::new(ThemeName::Dark), "cluster".into(), (80, 24));
        assert_eq!(
            quit_code(&app),
            0,
            "quitting while loading is not a failure"
        );
        let error = crate::sources::Error::NoKubeconfig("KUBECONFIG is not set".into());
        app.update(Event::Loaded(Box::new(Err(error.into()))));
        assert_eq!(quit_code(&app), 2);
    }
}
