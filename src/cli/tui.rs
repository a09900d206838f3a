//! `kaudit` and `kaudit demo` on a terminal: the workstation.

use super::options::{AuditArgs, ClusterArgs, TuiArgs};
use super::{config_dir, data_dir};
use crate::sources::Source;
use crate::tui::theme::ThemeName;
use std::path::PathBuf;

pub fn run(
    source: Source,
    cluster: &ClusterArgs,
    mut audit: AuditArgs,
    args: &TuiArgs,
) -> anyhow::Result<u8> {
    let theme = match args.theme {
        Some(t) => t,
        None if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => ThemeName::Mono,
        None => ThemeName::Dark,
    };
    // Suppressions made in the TUI go to --exemptions, or to the default file, which is then
    // also read at start.
    let exemptions_path = match &audit.exemptions.exemptions {
        Some(p) => p.clone(),
        None => config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("exemptions.yaml"),
    };
    if audit.exemptions.exemptions.is_none() && exemptions_path.exists() {
        audit.exemptions.exemptions = Some(exemptions_path.clone());
    }
    let session_options = audit.session_options();
    let options = crate::tui::run::Options {
        theme,
        mouse: args.mouse,
        exemptions_path,
        export_dir: PathBuf::from("."),
        store: session_options.history.store.clone(),
        author: args.author.clone(),
        kubeconfig: cluster.live_options(),
    };
    // The TUI owns the terminal: what it has to say goes to the log file.
    let _log = data_dir().and_then(|dir| log_to(&dir));
    crate::tui::run::run(source, session_options, options).map_err(anyhow::Error::msg)
}

/// Sends `tracing` events to `kaudit.log` in `dir` (appended, written off the UI thread);
/// the guard flushes it when the TUI ends. No log when the folder cannot be written.
fn log_to(dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_appender::rolling::{RollingFileAppender, Rotation};
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::NEVER)
        .filename_prefix("kaudit.log")
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false)
        .try_init()
        .ok()?;
    Some(guard)
}
