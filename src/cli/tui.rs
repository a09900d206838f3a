//! `kaudit` and `kaudit demo` on a terminal: the workstation.

use super::{AuditArgs, SourceArgs, TuiArgs, config_dir, data_dir};
use crate::sources::Source;
use crate::tui::theme::ThemeName;
use std::path::PathBuf;

pub fn run(
    source: Source,
    source_args: &SourceArgs,
    mut audit: AuditArgs,
    args: &TuiArgs,
) -> Result<u8, String> {
    let theme = match args.theme {
        Some(t) => t,
        None if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => ThemeName::Mono,
        None => ThemeName::Dark,
    };
    // Suppressions made in the TUI go to --exemptions, or to the default file, which is then
    // also read at start.
    let exemptions_path = match &audit.exemptions {
        Some(p) => p.clone(),
        None => config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("exemptions.yaml"),
    };
    if audit.exemptions.is_none() && exemptions_path.exists() {
        audit.exemptions = Some(exemptions_path.clone());
    }
    let options = crate::tui::run::Options {
        theme,
        mouse: args.mouse,
        exemptions_path,
        export_dir: PathBuf::from("."),
        log_path: data_dir().map(|d| d.join("kaudit.log")),
        kubeconfig: source_args.live_options(),
    };
    crate::tui::run::run(source, audit.session_options(), options)
}
