//! `kaudit db update` and `kaudit db status`.

use super::{AuditArgs, DbAction, EXIT_OK, TextOrJson};
use crate::registry::client::RemoteOptions;
use crate::vuln::update::{self, Kind};
use crate::vuln::{locate, trivydb::TrivyDb};
use std::io::{IsTerminal, Write};

pub fn run(audit: &AuditArgs, action: DbAction) -> anyhow::Result<u8> {
    let cache = audit
        .cache_dir()
        .ok_or_else(|| anyhow::anyhow!("no data folder (set KAUDIT_DATA_DIR or --data-dir)"))?;
    match action {
        DbAction::Update { repository, java } => {
            let kind = if java {
                Kind::Java
            } else {
                Kind::Vulnerability
            };
            let repository = repository.unwrap_or_else(|| kind.default_repository().into());
            let registry = crate::image_ref::ImageRef::parse(&repository)
                .map(|r| r.registry)
                .unwrap_or_default();
            let options = RemoteOptions {
                insecure: audit.insecure_registry.clone(),
                timeout: audit.registry_timeout(),
                credentials: crate::registry::auth::from_docker_config(&registry)
                    .map_err(anyhow::Error::msg)?,
            };
            let bar = std::io::stderr().is_terminal();
            let mut shown = 0u64;
            let mut progress = |read: u64, total: u64| {
                // A line redrawn every 1% (or MiB when the size is unknown).
                let step = (total / 100).max(1 << 20);
                if bar && (read >= shown + step || read == total) {
                    shown = read;
                    let pct = (read * 100).checked_div(total).unwrap_or(0);
                    eprint!(
                        "\r{repository}: {:.1} / {:.1} MiB {pct:>3}%",
                        read as f64 / 1048576.0,
                        total as f64 / 1048576.0
                    );
                }
            };
            let result = update::update(kind, &repository, &cache, options, &mut progress);
            if bar {
                eprintln!();
            }
            let done = result?;
            println!(
                "{} ({}, {:.1} MiB) -> {}; {}",
                repository,
                done.digest,
                done.bytes as f64 / 1048576.0,
                done.path.display(),
                done.metadata
            );
            Ok(EXIT_OK)
        }
        DbAction::Status { format } => {
            let path = locate::find(audit.trivy_db.as_deref(), Some(&cache))
                .map_err(anyhow::Error::msg)?;
            let db = TrivyDb::open(&path)?;
            let now = jiff::Timestamp::now().as_second();
            let (age, stale) = db
                .metadata
                .as_ref()
                .map_or((None, None), |m| m.freshness(now));
            let mut out = std::io::stdout().lock();
            match format {
                TextOrJson::Json => {
                    let value = serde_json::json!({
                        "path": path.display().to_string(),
                        "schema_version": db.metadata.as_ref().map(|m| m.version),
                        "updated_at": db.metadata.as_ref().map(|m| &m.updated_at),
                        "next_update": db.metadata.as_ref().map(|m| &m.next_update),
                        "age_days": age,
                        "stale": stale,
                    });
                    serde_json::to_writer_pretty(&mut out, &value)?;
                    writeln!(out)?;
                }
                TextOrJson::Text => {
                    writeln!(out, "{}", path.display())?;
                    match &db.metadata {
                        Some(m) => {
                            writeln!(
                                out,
                                "schema version {}, updated at {}{}",
                                m.version,
                                m.updated_at,
                                age.map(|d| format!(" ({d} days ago)")).unwrap_or_default()
                            )?;
                            writeln!(
                                out,
                                "next update {}{}",
                                m.next_update,
                                if stale == Some(true) {
                                    " (past: run `kaudit db update` or `trivy image --download-db-only`)"
                                } else {
                                    ""
                                }
                            )?;
                        }
                        None => writeln!(out, "no metadata.json beside it: its age is not known")?,
                    }
                }
            }
            Ok(EXIT_OK)
        }
    }
}
