//! `kaudit db update` and `kaudit db status`.

use super::{DbAction, EXIT_OK, TextOrJson};
use crate::registry::client::RemoteOptions;
use crate::vuln::javadb::JavaDb;
use crate::vuln::update::{self, Kind};
use crate::vuln::{
    locate,
    trivydb::{Metadata, TrivyDb},
};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub fn run(action: DbAction) -> anyhow::Result<u8> {
    let (DbAction::Update { store, .. } | DbAction::Status { store, .. }) = &action;
    let cache = store
        .cache_dir()
        .ok_or_else(|| anyhow::anyhow!("no data folder (set KAUDIT_DATA_DIR or --data-dir)"))?;
    match action {
        DbAction::Update {
            repository,
            java,
            registry: remote,
            ..
        } => {
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
                insecure: remote.insecure_registry.clone(),
                timeout: remote.timeout(),
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
        DbAction::Status {
            format, vuln_db, ..
        } => {
            let now = jiff::Timestamp::now().as_second();
            // The vulnerability database is required; the Java DB is optional.
            let path = locate::find(vuln_db.trivy_db.as_deref(), Some(&cache))
                .map_err(anyhow::Error::msg)?;
            let db = TrivyDb::open(&path)?;
            let main = Status::of(&path, db.metadata.as_ref(), now);
            let java_db = match locate::find_java(vuln_db.java_db.as_deref(), Some(&cache))
                .map_err(anyhow::Error::msg)?
            {
                Some(path) => Some(JavaDb::open(&path).map_err(anyhow::Error::msg)?),
                None => None,
            };
            let java = java_db
                .as_ref()
                .map(|j| Status::of(&j.path, j.metadata.as_ref(), now));
            let mut out = std::io::stdout().lock();
            match format {
                TextOrJson::Json => {
                    let mut value = main.json();
                    value["java_db"] = java.as_ref().map_or(serde_json::Value::Null, Status::json);
                    serde_json::to_writer_pretty(&mut out, &value)?;
                    writeln!(out)?;
                }
                TextOrJson::Text => {
                    main.write(&mut out, "kaudit db update")?;
                    match &java {
                        Some(java) => {
                            writeln!(out, "\nJava DB:")?;
                            java.write(&mut out, "kaudit db update --java")?;
                        }
                        None => writeln!(
                            out,
                            "\nno Java DB: JARs are named by their pom.properties only (`kaudit db update --java` adds it)"
                        )?,
                    }
                }
            }
            Ok(EXIT_OK)
        }
    }
}

/// One database's file and freshness.
struct Status<'a> {
    path: &'a Path,
    metadata: Option<&'a Metadata>,
    age_days: Option<i64>,
    stale: Option<bool>,
}

impl<'a> Status<'a> {
    fn of(path: &'a Path, metadata: Option<&'a Metadata>, now: i64) -> Status<'a> {
        let (age_days, stale) = metadata.map_or((None, None), |m| m.freshness(now));
        Status {
            path,
            metadata,
            age_days,
            stale,
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.path.display().to_string(),
            "schema_version": self.metadata.map(|m| m.version),
            "updated_at": self.metadata.map(|m| &m.updated_at),
            "next_update": self.metadata.map(|m| &m.next_update),
            "age_days": self.age_days,
            "stale": self.stale,
        })
    }

    fn write(&self, out: &mut impl Write, update: &str) -> std::io::Result<()> {
        writeln!(out, "{}", self.path.display())?;
        let Some(m) = self.metadata else {
            return writeln!(out, "no metadata.json beside it: its age is not known");
        };
        writeln!(
            out,
            "schema version {}, updated at {}{}",
            m.version,
            m.updated_at,
            self.age_days
                .map(|d| format!(" ({d} days ago)"))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            "next update {}{}",
            m.next_update,
            if self.stale == Some(true) {
                format!(" (past: run `{update}`)")
            } else {
                String::new()
            }
        )
    }
}
