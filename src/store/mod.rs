//! The audit history: one SQLite file (`kaudit.db` in the data folder) holding every audit
//! session with its findings, triage decisions, and the per-image-digest caches of other
//! areas.
//!
//! WAL mode and a busy time-out let two kaudit processes use it at once; a session is saved
//! in one transaction, so a kaudit killed mid-save leaves all of it or none. The schema
//! carries its version: a newer one is refused (never "repaired"), an older one is copied
//! aside before it is migrated.

mod cache;
mod decisions;
mod lab;
mod schema;
mod sessions;

pub use lab::LabAttempt;
pub use sessions::{SessionSummary, StoredSession};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database's file name in the data folder.
pub const FILE_NAME: &str = "kaudit.db";

/// How long a writer waits for another kaudit process to finish its transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{path}: written by a newer kaudit (schema {found}, this kaudit knows {known}); it was left as it is"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: not a kaudit store or damaged ({message}); it was left as it is")]
    Unreadable { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no session {0} in the store (see `kaudit history`)")]
    NoSuchSession(i64),
}

pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, migrating an older schema after
    /// copying the file aside.
    pub fn open(path: &Path) -> Result<Store, Error> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                path: parent.to_path_buf(),
                message: format!("cannot create the folder: {e}"),
            })?;
        }
        // A planted link would make kaudit write wherever it points.
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Io {
                path: path.to_path_buf(),
                message: "is a symbolic link; kaudit only writes its store as a plain file".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NOFOLLOW
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(path, flags).map_err(|e| unreadable(path, e))?;
        let store = Store {
            connection,
            path: path.to_path_buf(),
        };
        store
            .connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.sql(e))?;
        // The first read of the file: a file that is not SQLite fails here.
        store
            .connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| unreadable(path, e))?;
        store
            .connection
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| store.sql(e))?;
        schema::migrate(&store)?;
        Ok(store)
    }

    /// Opens the store read-only, for `kaudit history` and exports: nothing is created.
    pub fn open_existing(path: &Path) -> Result<Option<Store>, Error> {
        if !path.exists() {
            return Ok(None);
        }
        Store::open(path).map(Some)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rebuilds the file without free pages (`kaudit store vacuum`); returns the bytes saved.
    pub fn vacuum(&self) -> Result<u64, Error> {
        let before = self.size();
        self.connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
            .map_err(|e| self.sql(e))?;
        Ok(before.saturating_sub(self.size()))
    }

    /// The file's size in bytes, write-ahead log included.
    pub fn size(&self) -> u64 {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        [&self.path, &wal]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    fn sql(&self, source: rusqlite::Error) -> Error {
        Error::Sql {
            path: self.path.clone(),
            source,
        }
    }
}

fn unreadable(path: &Path, error: rusqlite::Error) -> Error {
    Error::Unreadable {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}
