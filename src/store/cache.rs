//! Per-image-digest caches of other areas (vulnerability scans, signature verdicts): an
//! answer about a digest never changes, so it is worked out once.

use super::{Error, Store};
use rusqlite::{OptionalExtension, params};

impl Store {
    /// The cached value of `area` for `digest` under `key`, if any.
    pub fn cached(&self, area: &str, digest: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.connection
            .query_row(
                "SELECT value FROM cache WHERE area = ?1 AND digest = ?2 AND key = ?3",
                params![area, digest, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// The cached value, if it was stored at `since` (RFC 3339, UTC) or later: for answers
    /// that can change (the signatures next to an image).
    pub fn cached_since(
        &self,
        area: &str,
        digest: &str,
        key: &str,
        since: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.connection
            .query_row(
                "SELECT value FROM cache WHERE area = ?1 AND digest = ?2 AND key = ?3 AND stored >= ?4",
                params![area, digest, key, since],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Stores (or replaces) a cached value.
    pub fn cache(
        &self,
        area: &str,
        digest: &str,
        key: &str,
        value: &[u8],
        stored: &str,
    ) -> Result<(), Error> {
        self.connection
            .execute(
                "INSERT OR REPLACE INTO cache (area, digest, key, value, stored) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![area, digest, key, value, stored],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_values_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kaudit.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.cached("vuln", "sha256:ab", "trivy-db-1").unwrap(),
            None
        );
        store
            .cache(
                "vuln",
                "sha256:ab",
                "trivy-db-1",
                b"{}",
                "2026-12-03T00:00:00Z",
            )
            .unwrap();
        assert!(
            store
                .cached_since("vuln", "sha256:ab", "trivy-db-1", "2026-12-03T00:00:01Z")
                .unwrap()
                .is_none(),
            "stored before the window"
        );
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.cached("vuln", "sha256:ab", "trivy-db-1").unwrap(),
            Some(b"{}".to_vec())
        );
    }
}
