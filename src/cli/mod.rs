//! The command line: the only code that sees clap. It parses arguments into a [`Source`]
//! and [`SessionOptions`](crate::session::SessionOptions), runs the subcommand, and turns
//! the outcome into an exit code.
//!
//! Exit codes: 0 success and nothing at/above `--fail-on`; 1 findings at/above `--fail-on`
//! (or a PSS violation for `kaudit pss`); 2 usage or tool error; 3 audit incomplete and
//! `--fail-on-incomplete` set.

pub mod args;
mod audit_log;
mod db;
mod history;
mod image;
mod lab;
mod lab_args;
pub mod options;
mod pss;
mod rules;
mod scan;
mod snapshot;
mod triage;
mod tui;

pub use args::*;
pub use options::{AuditArgs, SourceArgs};

use crate::sources::Source;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;
pub const EXIT_INCOMPLETE: u8 = 3;

const EXIT_HELP: &str = "Exit codes: 0 nothing at/above --fail-on; 1 findings at/above --fail-on (or PSS violations); 2 usage or tool error; 3 audit incomplete with --fail-on-incomplete.";

pub fn main() -> ExitCode {
    use clap::Parser;
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    ExitCode::from(match run(cli) {
        Ok(code) => code,
        // Failing to run the audit at all is a tool error whatever failed; "audit
        // incomplete" (3) is decided from the report, where a 403 is a gap, not an error.
        Err(error) => {
            // Errors name files and objects from the input: no control sequence reaches
            // the terminal, line breaks stay.
            let text = format!("{error:#}");
            let lines: Vec<_> = text.lines().map(crate::sanitize::strip_controls).collect();
            eprintln!("kaudit: {}", lines.join("\n"));
            // Nothing to read at all: say what can be read instead.
            let kind = error.chain().find_map(|e| {
                e.downcast_ref::<crate::sources::Error>()
                    .map(crate::sources::Error::kind)
                    .or_else(|| {
                        e.downcast_ref::<crate::session::Error>()
                            .and_then(crate::session::Error::source_kind)
                    })
            });
            if let Some(kind @ crate::sources::ErrorKind::NoCluster) = kind {
                eprintln!("kaudit: {}", kind.advice());
            }
            EXIT_ERROR
        }
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Some(Command::Rules(args)) if args.falco => rules::falco(args.format == TextOrJson::Json),
        Some(Command::Rules(args)) => {
            rules::run(args.rule.as_deref(), args.format == TextOrJson::Json)
        }
        Some(Command::Pss(args)) => pss::run(&args),
        Some(Command::Info) => {
            info();
            Ok(EXIT_OK)
        }
        Some(Command::Keys) => {
            print!("{}", crate::tui::keymap::markdown());
            Ok(EXIT_OK)
        }
        Some(Command::Demo(args)) => {
            args.audit.check()?;
            let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
            match args.format {
                None if interactive => tui::run(
                    Source::Demo,
                    &options::ClusterArgs::default(),
                    args.audit,
                    &args.tui,
                ),
                format => {
                    let scan = ScanArgs::plain(format.unwrap_or(Format::Md));
                    scan::run(&Source::Demo, &args.audit, &scan)
                }
            }
        }
        Some(Command::Scan(scan)) => {
            scan.audit.check()?;
            scan::run(&scan.source.source()?, &scan.audit, &scan.report)
        }
        Some(Command::AuditLog(args)) => audit_log::run(&args),
        Some(Command::Snapshot(args)) => snapshot::run(&args),
        Some(Command::History(args)) => history::list(&args),
        Some(Command::Db(args)) => db::run(args.action),
        Some(Command::Image(args)) => match args.action {
            ImageAction::Scan(scan) => image::scan(&scan),
            ImageAction::Verify(verify) => image::verify(&verify),
        },
        Some(Command::Triage(args)) => triage::run(&args.action),
        Some(Command::Store(args)) => history::store(&args.action),
        Some(Command::Lab(args)) => lab::run(args.action),
        None => {
            cli.audit.check()?;
            if !std::io::stdout().is_terminal() {
                anyhow::bail!(
                    "the interactive view needs a terminal; use `kaudit scan` for a report on the current kubeconfig context (or `kaudit scan --manifests PATH` / `--demo`)"
                );
            }
            tui::run(
                cli.source.source()?,
                &cli.source.cluster,
                cli.audit,
                &cli.tui,
            )
        }
    }
}

/// `kaudit info`: every folder and file kaudit uses.
fn info() {
    let show = |p: Option<PathBuf>| p.map_or("(unknown)".to_string(), |p| p.display().to_string());
    println!("version:     {}", env!("CARGO_PKG_VERSION"));
    println!("config:      {}  (KAUDIT_CONFIG_DIR)", show(config_dir()));
    println!(
        "exemptions:  {}  (default for the TUI's s key; --exemptions FILE)",
        show(config_dir().map(|d| d.join("exemptions.yaml")))
    );
    println!("data:        {}  (KAUDIT_DATA_DIR)", show(data_dir()));
    println!(
        "history:     {}  (audits, triage decisions, caches; --no-store skips it)",
        show(data_dir().map(|d| d.join(crate::store::FILE_NAME)))
    );
    println!(
        "log:         {}",
        show(data_dir().map(|d| d.join("kaudit.log")))
    );
    println!("exports:     the current folder (e in the TUI)");
}

/// kaudit's folders: `KAUDIT_CONFIG_DIR` / `KAUDIT_DATA_DIR` or the platform's.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("KAUDIT_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "kaudit").map(|d| d.config_dir().to_path_buf())
        })
}

pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("KAUDIT_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "kaudit")
                .map(|d| d.data_local_dir().to_path_buf())
        })
}
