//! The store's schema, one migration per version. `schema_version` holds the version the
//! file is at; each migration runs in its own transaction with the version bump.

use super::{Error, Store};
use rusqlite::OptionalExtension;

/// Migration `i` takes the file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: sessions, their findings, triage decisions, per-digest caches.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        context TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source TEXT NOT NULL,
        server_version TEXT,
        tool_version TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT NOT NULL,
        findings INTEGER NOT NULL,
        suppressed INTEGER NOT NULL,
        -- Per area, as JSON: {scores: {area: n or null}, coverage: {area: percent or null}}.
        summary TEXT NOT NULL
    );
    CREATE INDEX sessions_by_context ON sessions (context, id);
    CREATE TABLE findings (
        session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        subject TEXT NOT NULL,
        message TEXT NOT NULL,
        -- FNV-1a of the evidence: a decision resurfaces when it changes.
        evidence INTEGER NOT NULL,
        suppressed INTEGER NOT NULL
    );
    CREATE INDEX findings_by_session ON findings (session, id);
    CREATE TABLE triage (
        context TEXT NOT NULL,
        finding INTEGER NOT NULL,
        rule TEXT NOT NULL,
        subject TEXT NOT NULL,
        decision TEXT NOT NULL,
        reason TEXT NOT NULL,
        author TEXT NOT NULL,
        decided TEXT NOT NULL,
        expires TEXT,
        evidence INTEGER NOT NULL,
        PRIMARY KEY (context, finding)
    );
    CREATE TABLE cache (
        area TEXT NOT NULL,
        digest TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        stored TEXT NOT NULL,
        PRIMARY KEY (area, digest, key)
    );",
    // 2: CKS practice exams (`kaudit lab exam`): each attempt, open until graded.
    "CREATE TABLE lab_attempts (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        -- Unix seconds the timer ends.
        deadline INTEGER NOT NULL,
        minutes INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        folder TEXT NOT NULL,
        -- JSON list of task ids, in the order drawn.
        tasks TEXT NOT NULL,
        finished TEXT,
        -- JSON: the graded result, once finished.
        result TEXT
    );",
];

/// The version this kaudit writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the file to [`VERSION`]: refuses a newer one, copies an older non-empty one to
/// `kaudit.db.v<N>.bak` before changing it.
pub fn migrate(store: &Store) -> Result<(), Error> {
    let db = &store.connection;
    db.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(|e| store.sql(e))?;
    let found: i64 = db
        .query_row("SELECT max(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(|e| store.sql(e))?
        .flatten()
        .unwrap_or(0);
    if found > VERSION {
        return Err(Error::NewerSchema {
            path: store.path.clone(),
            found,
            known: VERSION,
        });
    }
    if found == VERSION {
        return Ok(());
    }
    if found > 0 {
        back_up(store, found)?;
    }
    for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let to = from as i64 + 1;
        let script = format!(
            "BEGIN IMMEDIATE; {migration}; DELETE FROM schema_version; INSERT INTO schema_version VALUES ({to}); COMMIT;"
        );
        if let Err(e) = db.execute_batch(&script) {
            let _ = db.execute_batch("ROLLBACK");
            // Another kaudit may have migrated it meanwhile.
            let now: Option<i64> = db
                .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
                .unwrap_or(None);
            if now.is_some_and(|v| v >= to) {
                continue;
            }
            return Err(store.sql(e));
        }
    }
    Ok(())
}

/// A consistent copy of the file as it is, made with SQLite's `VACUUM INTO` (the write-ahead
/// log included), next to it.
fn back_up(store: &Store, version: i64) -> Result<(), Error> {
    let copy = store
        .path
        .with_file_name(format!("{}.v{version}.bak", super::FILE_NAME));
    if copy.exists() {
        return Ok(());
    }
    store
        .connection
        .execute("VACUUM INTO ?1", [copy.display().to_string()])
        .map_err(|e| store.sql(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_and_foreign_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kaudit.db");
        drop(Store::open(&path).unwrap());
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute("UPDATE schema_version SET version = 99", [])
            .unwrap();
        drop(db);
        let err = Store::open(&path).err().expect("refused");
        assert!(err.to_string().contains("newer kaudit (schema 99"), "{err}");

        let junk = dir.path().join("junk.db");
        std::fs::write(
            &junk,
            b"not a database at all, just text that fills a page".repeat(200),
        )
        .unwrap();
        let before = std::fs::read(&junk).unwrap();
        let err = Store::open(&junk).err().expect("refused");
        assert!(
            err.to_string().contains("not a kaudit store or damaged"),
            "{err}"
        );
        assert_eq!(std::fs::read(&junk).unwrap(), before, "never repaired");
    }

    #[test]
    fn an_older_file_is_copied_aside_before_it_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kaudit.db");
        let store = Store::open(&path).unwrap();
        store
            .connection
            .execute_batch("INSERT INTO cache VALUES ('vuln', 'sha256:1', 'k', x'01', 'now')")
            .unwrap();
        back_up(&store, 1).unwrap();
        let copy = dir.path().join("kaudit.db.v1.bak");
        let saved: i64 = rusqlite::Connection::open(&copy)
            .unwrap()
            .query_row("SELECT count(*) FROM cache", [], |r| r.get(0))
            .unwrap();
        assert_eq!(saved, 1, "the copy holds the data as it was");
        // A copy already there (from an earlier attempt) is never overwritten.
        let before = std::fs::read(&copy).unwrap();
        store.connection.execute_batch("DELETE FROM cache").unwrap();
        back_up(&store, 1).unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), before);
    }
}
