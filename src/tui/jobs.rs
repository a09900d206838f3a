//! Slow work off the UI thread, as gitui's async jobs: each kind of job has one worker at a
//! time; what a job finds comes back as an [`Event`] on the runtime's channel, so the event
//! loop keeps answering keys while it runs. Kinds whose newest request supersedes the older
//! ones (re-judging with the newest audit log, the newest YAML asked for) keep only the
//! newest request waiting; the others (writing exemptions, exports) run every request, in
//! order.

use super::app::Event;
use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Re-judging findings with a newer audit-log analysis.
    Rejudge,
    /// Writing the exemptions file, then re-judging.
    Triage,
    /// Writing a report.
    Export,
    /// Reading an object's text or a raw audit event for the detail view.
    Yaml,
    /// Evaluating every workload at another Pod Security version.
    Pss,
    /// Checking the cluster again with what was found after the audit was shown (the
    /// images' signatures, their vulnerabilities): each such result comes once, so none
    /// may be dropped for a newer request.
    Facts,
    /// Writing a practice task's scenario, or grading its work folder.
    Lab,
}

impl JobKind {
    const ALL: [JobKind; 7] = [
        JobKind::Rejudge,
        JobKind::Triage,
        JobKind::Export,
        JobKind::Yaml,
        JobKind::Pss,
        JobKind::Facts,
        JobKind::Lab,
    ];

    /// A newer request makes a waiting one pointless.
    fn newest_wins(self) -> bool {
        matches!(self, JobKind::Rejudge | JobKind::Yaml | JobKind::Pss)
    }
}

type Work = Box<dyn FnOnce() -> Event + Send>;

#[derive(Default)]
struct Queue {
    running: bool,
    waiting: VecDeque<Work>,
}

/// The job runner. Without a channel (tests, screenshots) a job runs in place and its
/// event is returned at once.
pub struct Jobs {
    events: Option<Sender<Event>>,
    queues: Vec<Arc<Mutex<Queue>>>,
}

impl Jobs {
    pub fn new(events: Option<Sender<Event>>) -> Jobs {
        Jobs {
            events,
            queues: JobKind::ALL
                .iter()
                .map(|_| Arc::new(Mutex::new(Queue::default())))
                .collect(),
        }
    }

    /// Runs `work` as a job of `kind`. Returns its event when it ran in place.
    pub fn start(
        &self,
        kind: JobKind,
        work: impl FnOnce() -> Event + Send + 'static,
    ) -> Option<Event> {
        let Some(events) = &self.events else {
            return Some(work());
        };
        let slot = JobKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        let queue = self.queues[slot].clone();
        let mut state = queue.lock().unwrap_or_else(|e| e.into_inner());
        if kind.newest_wins() {
            state.waiting.clear();
        }
        state.waiting.push_back(Box::new(work));
        if state.running {
            return None;
        }
        state.running = true;
        drop(state);
        let events = events.clone();
        std::thread::spawn(move || {
            loop {
                let next = {
                    let mut state = queue.lock().unwrap_or_else(|e| e.into_inner());
                    let next = state.waiting.pop_front();
                    if next.is_none() {
                        state.running = false;
                    }
                    next
                };
                let Some(work) = next else { return };
                if events.send(work()).is_err() {
                    return; // the UI has gone
                }
            }
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn done(text: &str) -> Event {
        Event::Done(Ok(text.to_string()))
    }

    fn text(event: Event) -> String {
        match event {
            Event::Done(Ok(t)) => t,
            _ => panic!("not a Done event"),
        }
    }

    #[test]
    fn in_place_without_a_channel() {
        let jobs = Jobs::new(None);
        assert_eq!(
            text(jobs.start(JobKind::Export, || done("x")).unwrap()),
            "x"
        );
    }

    #[test]
    fn newest_wins_while_one_runs_and_others_all_run_in_order() {
        let (tx, rx) = mpsc::channel();
        let jobs = Jobs::new(Some(tx));
        let (release, gate) = mpsc::channel::<()>();
        let (running, started) = mpsc::channel::<()>();
        assert!(
            jobs.start(JobKind::Yaml, move || {
                let _ = running.send(());
                let _ = gate.recv_timeout(Duration::from_secs(5));
                done("first")
            })
            .is_none()
        );
        started.recv_timeout(Duration::from_secs(5)).unwrap();
        jobs.start(JobKind::Yaml, || done("superseded"));
        jobs.start(JobKind::Yaml, || done("newest"));
        jobs.start(JobKind::Export, || done("export 1"));
        jobs.start(JobKind::Export, || done("export 2"));
        let mut got: Vec<String> = (0..2)
            .map(|_| text(rx.recv_timeout(Duration::from_secs(5)).unwrap()))
            .collect();
        assert_eq!(
            got,
            ["export 1", "export 2"],
            "the exports ran while Yaml waited"
        );
        release.send(()).unwrap();
        got = (0..2)
            .map(|_| text(rx.recv_timeout(Duration::from_secs(5)).unwrap()))
            .collect();
        assert_eq!(got, ["first", "newest"]);
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    }
}
