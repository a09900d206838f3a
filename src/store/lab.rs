//! CKS practice exam attempts (`kaudit lab exam`): one row each, open until graded, so a
//! timer survives a crash and progress per domain shows over time.

use super::{Error, Store};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabAttempt {
    pub id: i64,
    pub started: String,
    /// Unix seconds the timer ends.
    pub deadline: i64,
    pub minutes: u32,
    pub seed: u64,
    pub folder: String,
    pub tasks: Vec<String>,
    pub finished: Option<String>,
    /// The graded result (JSON), once finished.
    pub result: Option<String>,
}

const COLUMNS: &str = "id, started, deadline, minutes, seed, folder, tasks, finished, result";

fn attempt(row: &rusqlite::Row<'_>) -> rusqlite::Result<LabAttempt> {
    let tasks: String = row.get(6)?;
    let seed: i64 = row.get(4)?;
    Ok(LabAttempt {
        id: row.get(0)?,
        started: row.get(1)?,
        deadline: row.get(2)?,
        minutes: row.get(3)?,
        seed: seed as u64,
        folder: row.get(5)?,
        tasks: serde_json::from_str(&tasks).unwrap_or_default(),
        finished: row.get(7)?,
        result: row.get(8)?,
    })
}

impl Store {
    /// Records a new attempt; returns its id.
    pub fn start_lab_attempt(&self, attempt: &LabAttempt) -> Result<i64, Error> {
        let tasks = serde_json::to_string(&attempt.tasks).unwrap_or_else(|_| "[]".into());
        self.connection
            .execute(
                "INSERT INTO lab_attempts (started, deadline, minutes, seed, folder, tasks) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    attempt.started,
                    attempt.deadline,
                    attempt.minutes,
                    attempt.seed as i64,
                    attempt.folder,
                    tasks
                ],
            )
            .map_err(|e| self.sql(e))?;
        Ok(self.connection.last_insert_rowid())
    }

    /// The attempt not graded yet, if any (the newest).
    pub fn open_lab_attempt(&self) -> Result<Option<LabAttempt>, Error> {
        self.connection
            .query_row(
                &format!("SELECT {COLUMNS} FROM lab_attempts WHERE finished IS NULL ORDER BY id DESC LIMIT 1"),
                [],
                attempt,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Closes an attempt with its graded result.
    pub fn finish_lab_attempt(&self, id: i64, finished: &str, result: &str) -> Result<(), Error> {
        self.connection
            .execute(
                "UPDATE lab_attempts SET finished = ?2, result = ?3 WHERE id = ?1",
                params![id, finished, result],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// Every attempt, oldest first.
    pub fn lab_attempts(&self) -> Result<Vec<LabAttempt>, Error> {
        let mut statement = self
            .connection
            .prepare(&format!("SELECT {COLUMNS} FROM lab_attempts ORDER BY id"))
            .map_err(|e| self.sql(e))?;
        let rows = statement
            .query_map([], attempt)
            .map_err(|e| self.sql(e))?
            .collect::<Result<Vec<_>, _>>();
        rows.map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_stays_open_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kaudit.db")).unwrap();
        assert_eq!(store.open_lab_attempt().unwrap(), None);
        let mut attempt = LabAttempt {
            id: 0,
            started: "2026-12-05T10:00:00Z".into(),
            deadline: 1_000,
            minutes: 120,
            seed: u64::MAX,
            folder: "/tmp/exam".into(),
            tasks: vec!["a".into(), "b".into()],
            finished: None,
            result: None,
        };
        attempt.id = store.start_lab_attempt(&attempt).unwrap();
        assert_eq!(store.open_lab_attempt().unwrap(), Some(attempt.clone()));
        store
            .finish_lab_attempt(attempt.id, "2026-12-05T11:00:00Z", "{}")
            .unwrap();
        assert_eq!(store.open_lab_attempt().unwrap(), None);
        let all = store.lab_attempts().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].seed, u64::MAX, "a seed keeps all 64 bits");
        assert_eq!(all[0].result.as_deref(), Some("{}"));
    }
}
