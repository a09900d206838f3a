//! Trivy's Java DB (`trivy-java.db`, SQLite, schema 1): which Maven artifact a JAR is, by
//! its SHA-1 or by its group and artifact ids. It holds no vulnerabilities (those are the
//! main database's `maven::` buckets). Opened read-only and guarded like any file kaudit did
//! not write; the three lookups are Trivy's own queries (trivy-java-db `pkg/db`).

use super::trivydb::Metadata;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The schema version kaudit reads (`metadata.json` `Version`).
pub const SCHEMA_VERSION: i64 = 1;

/// A Maven artifact's coordinates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coordinates {
    pub group: String,
    pub artifact: String,
    pub version: String,
}

/// What kaudit asks of the Java DB (a trait so a test can answer without a file).
pub trait JavaIndex {
    /// Whether any artifact has these group and artifact ids.
    fn exists(&self, group: &str, artifact: &str) -> Result<bool, String>;
    /// The artifact whose JAR has this SHA-1 (lower-case hex).
    fn by_sha1(&self, sha1_hex: &str) -> Result<Option<Coordinates>, String>;
    /// The group of a JAR known only by its file name's artifact id and version: the group
    /// with the most indexed versions among those publishing that artifact and version.
    fn group_of(&self, artifact: &str, version: &str) -> Result<Option<String>, String>;
}

pub struct JavaDb {
    connection: Connection,
    pub path: PathBuf,
    pub metadata: Option<Metadata>,
}

impl std::fmt::Debug for JavaDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JavaDb").field("path", &self.path).finish()
    }
}

/// Artifact rows a group lookup reads at most (the most versioned artifacts have a few
/// thousand).
const MAX_ROWS: usize = 100_000;

impl JavaDb {
    /// Opens the Java DB read-only; a metadata.json of another schema, a file that is not
    /// SQLite, or one without Trivy's two plain tables is an error naming the file.
    pub fn open(path: &Path) -> Result<JavaDb, String> {
        let fail = |message: String| format!("Java DB {}: {message}", path.display());
        let metadata = read_metadata(path).map_err(fail)?;
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| fail(e.to_string()))?;
        // Each lookup is an indexed read of a few rows; a connection's budget covers
        // millions of them.
        super::sqlite::guard(&connection, 1 << 20, 1_000_000).map_err(|e| fail(e.to_string()))?;
        for table in ["artifacts", "indices"] {
            super::sqlite::plain_table(&connection, table)
                .map_err(|e| fail(format!("not a Java DB ({e})")))?;
        }
        Ok(JavaDb {
            connection,
            path: path.to_path_buf(),
            metadata,
        })
    }
}

impl JavaIndex for JavaDb {
    fn exists(&self, group: &str, artifact: &str) -> Result<bool, String> {
        self.connection
            .query_row(
                "SELECT 1 FROM indices i JOIN artifacts a ON a.id = i.artifact_id
                 WHERE a.group_id = ?1 AND a.artifact_id = ?2 LIMIT 1",
                [group, artifact],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| e.to_string())
    }

    fn by_sha1(&self, sha1_hex: &str) -> Result<Option<Coordinates>, String> {
        let Some(sha1) = decode_hex(sha1_hex) else {
            return Ok(None);
        };
        self.connection
            .query_row(
                "SELECT a.group_id, a.artifact_id, i.version FROM indices i
                 JOIN artifacts a ON a.id = i.artifact_id WHERE i.sha1 = ?1",
                [sha1],
                |r| {
                    Ok(Coordinates {
                        group: r.get(0)?,
                        artifact: r.get(1)?,
                        version: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| e.to_string())
    }

    fn group_of(&self, artifact: &str, version: &str) -> Result<Option<String>, String> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT f.group_id FROM indices i
                 JOIN (SELECT a.id, a.group_id FROM indices i
                       JOIN artifacts a ON a.id = i.artifact_id
                       WHERE a.artifact_id = ?1 AND i.version = ?2 AND i.archive_type = 'jar') f
                 ON f.id = i.artifact_id",
            )
            .map_err(|e| e.to_string())?;
        let rows = statement
            .query_map([artifact, version], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for group in rows.take(MAX_ROWS) {
            *counts.entry(group.map_err(|e| e.to_string())?).or_default() += 1;
        }
        // Trivy takes the group with the most rows; on a tie its map order picks at
        // random, kaudit the first group by name.
        let mut best: Option<(String, usize)> = None;
        for (group, count) in counts {
            if best.as_ref().is_none_or(|(_, most)| count > *most) {
                best = Some((group, count));
            }
        }
        Ok(best.map(|(group, _)| group))
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 40 {
        return None;
    }
    (0..40)
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `metadata.json` beside the database: absent is unknown, another schema is refused.
fn read_metadata(db: &Path) -> Result<Option<Metadata>, String> {
    let path = db.with_file_name("metadata.json");
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(None);
    };
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 64 << 10), &mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let metadata: Metadata =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if metadata.version != SCHEMA_VERSION {
        return Err(format!(
            "schema version {} (kaudit reads {SCHEMA_VERSION}); run `kaudit db update --java`",
            metadata.version
        ));
    }
    Ok(Some(metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Java DB as trivy-java-db builds it (its CREATE statements).
    fn build(dir: &Path) -> PathBuf {
        let path = dir.join("trivy-java.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
             CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT,
                 foreign key (artifact_id) references artifacts(id));
             CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
             CREATE INDEX indices_artifact_idx ON indices(artifact_id);
             CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);
             INSERT INTO artifacts VALUES (1, 'javax.servlet', 'jstl'), (2, 'jstl', 'jstl');
             INSERT INTO indices VALUES (1, '1.2', x'0101010101010101010101010101010101010101', 'jar'),
                 (2, '1.2', x'0202020202020202020202020202020202020202', 'jar'),
                 (2, '1.1', x'0303030303030303030303030303030303030303', 'jar');",
        )
        .unwrap();
        std::fs::write(
            dir.join("metadata.json"),
            r#"{"Version":1,"NextUpdate":"2026-12-05T00:00:00Z","UpdatedAt":"2026-12-04T00:00:00Z"}"#,
        )
        .unwrap();
        path
    }

    #[test]
    fn the_three_lookups_answer_as_trivy() {
        let dir = tempfile::tempdir().unwrap();
        let db = JavaDb::open(&build(dir.path())).unwrap();
        assert!(db.exists("jstl", "jstl").unwrap());
        assert!(!db.exists("jstl", "javax.servlet").unwrap());
        assert_eq!(
            db.by_sha1(&"02".repeat(20)).unwrap(),
            Some(Coordinates {
                group: "jstl".into(),
                artifact: "jstl".into(),
                version: "1.2".into()
            })
        );
        assert_eq!(db.by_sha1(&"09".repeat(20)).unwrap(), None);
        assert_eq!(db.by_sha1("not hex").unwrap(), None);
        // jstl:jstl has two indexed versions, javax.servlet:jstl one.
        assert_eq!(db.group_of("jstl", "1.2").unwrap().as_deref(), Some("jstl"));
        assert_eq!(db.group_of("jstl", "9.9").unwrap(), None);
        assert_eq!(db.metadata.unwrap().updated_at, "2026-12-04T00:00:00Z");
    }

    #[test]
    fn wrong_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trivy-java.db");
        std::fs::write(&path, b"not sqlite at all, just text").unwrap();
        let e = JavaDb::open(&path).unwrap_err();
        assert!(e.contains("trivy-java.db"), "{e}");
        // A view where Trivy has a table runs no SQL of the file's.
        let c = Connection::open(dir.path().join("view.db")).unwrap();
        c.execute_batch(
            "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
             CREATE VIEW indices AS SELECT 1 AS artifact_id;",
        )
        .unwrap();
        let e = JavaDb::open(&dir.path().join("view.db")).unwrap_err();
        assert!(e.contains("no indices table"), "{e}");
        let newer = tempfile::tempdir().unwrap();
        let path = build(newer.path());
        std::fs::write(newer.path().join("metadata.json"), r#"{"Version":2}"#).unwrap();
        let e = JavaDb::open(&path).unwrap_err();
        assert!(e.contains("schema version 2"), "{e}");
    }
}
