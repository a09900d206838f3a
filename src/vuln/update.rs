//! `kaudit db update`: Trivy's vulnerability database (or its Java DB) pulled from its OCI
//! artifact into kaudit's cache. The layer's digest and size are checked while it streams,
//! only the two expected files are taken from it (by exact name, each capped), the new
//! database is opened and checked before it is used, and each file replaces the old one by
//! a rename in the same folder, the database before its metadata: a killed update leaves the
//! previous database whole and usable, with at most a stray temporary file, removed by the
//! next update.

use crate::registry::ImageSource;
use crate::registry::RegistryError;
use crate::registry::artifact::single_layer;
use crate::registry::client::{Remote, RemoteOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vulnerability,
    Java,
}

impl Kind {
    pub fn default_repository(self) -> &'static str {
        match self {
            Kind::Vulnerability => "ghcr.io/aquasecurity/trivy-db:2",
            Kind::Java => "ghcr.io/aquasecurity/trivy-java-db:1",
        }
    }
    fn media_type(self) -> &'static str {
        match self {
            Kind::Vulnerability => "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip",
            Kind::Java => "application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip",
        }
    }
    /// The folder under kaudit's cache and the database file's name.
    pub fn place(self) -> (&'static str, &'static str) {
        match self {
            Kind::Vulnerability => ("trivy-db", "trivy.db"),
            // The file's name inside Trivy's artifact (trivy-java-db `pkg/db`).
            Kind::Java => ("java-db", "trivy-java.db"),
        }
    }
}

/// An unpacked database is at most this big (trivy.db is about 1 GB, the Java DB a few).
const MAX_DB_BYTES: u64 = 32 << 30;
const MAX_METADATA_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{0}")]
    Artifact(String),
    #[error("{}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// What an update did.
#[derive(Debug)]
pub struct Updated {
    pub path: PathBuf,
    pub digest: String,
    pub bytes: u64,
    pub metadata: String,
}

/// Pulls `repository` into `cache/<folder>/`; `progress` is told (bytes so far, total).
pub fn update(
    kind: Kind,
    repository: &str,
    cache: &Path,
    options: RemoteOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Updated, UpdateError> {
    let mut remote = Remote::new(repository, options)?;
    let layer = single_layer(&mut remote, kind.media_type())?;
    let (folder, db_name) = kind.place();
    let dir = cache.join(folder);
    prepare_dir(&dir)?;
    let tmp_db = dir.join(format!("{db_name}.partial"));
    let tmp_meta = dir.join("metadata.json.partial");
    let blob = remote.blob(&layer)?;
    let total = layer.size;
    let mut counted = Counting {
        inner: blob,
        read: 0,
        total,
        progress,
    };
    let mut found_db = false;
    let mut found_meta = false;
    {
        let gz = flate2::read::GzDecoder::new(&mut counted);
        let mut tar = tar::Archive::new(crate::vuln::image::tar_guard::Guarded::new(gz));
        let fail = |e: std::io::Error| UpdateError::Artifact(format!("{repository}: {e}"));
        for entry in tar.entries().map_err(fail)? {
            let mut entry = entry.map_err(fail)?;
            let name =
                crate::vuln::image::layer::normalize(&entry.path_bytes()).unwrap_or_default();
            let (target, cap, found) = match name.as_str() {
                n if n == db_name => (&tmp_db, MAX_DB_BYTES, &mut found_db),
                "metadata.json" => (&tmp_meta, MAX_METADATA_BYTES, &mut found_meta),
                _ => continue,
            };
            if !entry.header().entry_type().is_file() {
                return Err(UpdateError::Artifact(format!(
                    "{repository}: {name} is not a regular file"
                )));
            }
            write_new(target, &mut entry, cap)?;
            *found = true;
        }
        // The gzip trailer and padding: read so the layer's digest is checked.
        std::io::copy(&mut tar.into_inner(), &mut std::io::sink()).map_err(fail)?;
    }
    std::io::copy(&mut counted, &mut std::io::sink())
        .map_err(|e| UpdateError::Artifact(format!("{repository}: layer {}: {e}", layer.digest)))?;
    if !(found_db && found_meta) {
        return Err(UpdateError::Artifact(format!(
            "{repository}: the artifact lacks {}",
            if found_db { "metadata.json" } else { db_name }
        )));
    }
    let metadata = check(kind, &tmp_db, &tmp_meta)?;
    let db_path = dir.join(db_name);
    rename(&tmp_db, &db_path)?;
    rename(&tmp_meta, &dir.join("metadata.json"))?;
    Ok(Updated {
        path: db_path,
        digest: layer.digest,
        bytes: total,
        metadata,
    })
}

/// The folder, created if needed; never a link (the update would write where it points),
/// and with last time's leftovers removed.
fn prepare_dir(dir: &Path) -> Result<(), UpdateError> {
    let fail = |message: String| UpdateError::Write {
        path: dir.to_path_buf(),
        message,
    };
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
    }
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(fail(
                "is a symbolic link; kaudit writes its cache only in plain folders".into(),
            ));
        }
        Ok(m) if !m.is_dir() => return Err(fail("is not a folder".into())),
        Ok(_) => {}
        Err(_) => std::fs::create_dir(dir).map_err(|e| fail(e.to_string()))?,
    }
    for entry in std::fs::read_dir(dir)
        .map_err(|e| fail(e.to_string()))?
        .flatten()
    {
        if entry.file_name().to_string_lossy().ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Writes a new file (never through a link, never over an existing one) with a cap.
fn write_new(path: &Path, from: &mut impl Read, cap: u64) -> Result<(), UpdateError> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |message: String| UpdateError::Write {
        path: path.to_path_buf(),
        message,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    let written =
        std::io::copy(&mut from.take(cap + 1), &mut file).map_err(|e| fail(e.to_string()))?;
    if written > cap {
        let _ = std::fs::remove_file(path);
        return Err(fail(format!("larger than {} GiB; refused", cap >> 30)));
    }
    file.flush()
        .and_then(|_| file.sync_all())
        .map_err(|e| fail(e.to_string()))
}

/// The new files must be what they claim before they replace anything: metadata of the
/// schema kaudit reads, and a database that opens.
fn check(kind: Kind, db: &Path, metadata: &Path) -> Result<String, UpdateError> {
    let text = std::fs::read_to_string(metadata).map_err(|e| UpdateError::Write {
        path: metadata.to_path_buf(),
        message: e.to_string(),
    })?;
    let parsed: crate::vuln::trivydb::Metadata = serde_json::from_str(&text)
        .map_err(|e| UpdateError::Artifact(format!("metadata.json: {e}")))?;
    let schema = match kind {
        Kind::Vulnerability => 2,
        Kind::Java => 1,
    };
    if parsed.version != schema {
        return Err(UpdateError::Artifact(format!(
            "metadata.json: schema version {} (kaudit reads {schema})",
            parsed.version
        )));
    }
    match kind {
        Kind::Vulnerability => {
            crate::vuln::trivydb::TrivyDb::open(db)
                .map_err(|e| UpdateError::Artifact(format!("the new database: {e}")))?;
        }
        Kind::Java => {
            let connection = rusqlite::Connection::open_with_flags(
                db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|_| c)
            })
            .map_err(|e| UpdateError::Artifact(format!("the new Java DB: {e}")))?;
            drop(connection);
        }
    }
    Ok(format!(
        "updated at {}, next update {}",
        parsed.updated_at, parsed.next_update
    ))
}

fn rename(from: &Path, to: &Path) -> Result<(), UpdateError> {
    std::fs::rename(from, to).map_err(|e| UpdateError::Write {
        path: to.to_path_buf(),
        message: e.to_string(),
    })
}

struct Counting<'a, R> {
    inner: R,
    read: u64,
    total: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read, self.total);
        Ok(n)
    }
}
