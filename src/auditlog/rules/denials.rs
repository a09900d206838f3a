//! Bursts of denied requests: credential guessing or a stolen token probing what it may do.

use super::{Detection, Facts, Hit, State, probe};
use crate::auditlog::policy::Level;
use crate::findings::Evidence;
use crate::time::parse_rfc3339;

pub const AUD015: Detection = Detection {
    rule: "AUD015",
    check: denial_burst,
    probes: &[probe("get", "", "pods", "", "shop", Level::Metadata)],
    bodies: &[],
};

/// Denials per identity and source address over a sliding window; a burst is reported once
/// per pair.
fn denial_burst(f: &Facts<'_>, state: &mut State, hits: &mut Vec<Hit>) {
    let e = f.event;
    if !matches!(f.code, Some(401 | 403)) || e.stage == "RequestReceived" {
        return;
    }
    let Some(t) = e.time().and_then(parse_rfc3339).map(|t| t.0) else {
        return;
    };
    let who = if e.user.username.is_empty() {
        "(unauthenticated)".to_string()
    } else {
        e.user.username.to_string()
    };
    let ip = e
        .source_ips
        .last()
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let span = f.config.burst_window_secs;
    // Pairs whose last denial left the window cannot make a burst any more: forgotten a few
    // times a window (of log time).
    if t >= state.next_sweep {
        state
            .denied
            .retain(|_, times| times.back().is_some_and(|last| t - last <= span));
        state.next_sweep = t + (span / 4).max(1);
    }
    let key = (who.clone(), ip.clone());
    if state.denied.len() >= f.config.burst_pairs_max && !state.denied.contains_key(&key) {
        state.untracked_denials += 1;
        return;
    }
    let window = state.denied.entry(key).or_default();
    window.push_back(t);
    while window.front().is_some_and(|first| t - first > span) {
        window.pop_front();
    }
    let n = window.len();
    if n >= f.config.burst_threshold {
        hits.push(
            Hit::new(
                format!("{n} denied requests (401/403) for {who} from {ip} within {span} s"),
                Evidence::labelled("responseStatus.code", format!("{n}x 401/403")),
            )
            .once_per(format!("{who}@{ip}")),
        );
    }
}
