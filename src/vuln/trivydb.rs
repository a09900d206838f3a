//! Trivy's vulnerability database (`trivy.db`): a bbolt file, read-only and memory-mapped,
//! never imported. Layout (trivy-db schema 2): a root bucket per OS release or language data
//! source → a bucket per package → vulnerability id → advisory JSON; `vulnerability` holds
//! the details of each id and `data-source` says where each root bucket comes from.
//!
//! The file comes from outside (a cache another tool writes, a download): opening never
//! waits on another process's lock, and a damaged file is an error, never a crash.

use bbolt_rs::{Bolt, BucketApi, DbApi, TxApi};
use std::path::{Path, PathBuf};

/// The trivy-db schema this reader understands.
pub const SCHEMA_VERSION: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {message}", path.display())]
    Open { path: PathBuf, message: String },
    #[error(
        "{}: locked by another process (Trivy updating its database?); try again when it is done",
        .0.display()
    )]
    Locked(PathBuf),
    #[error("{}: not a Trivy database or damaged ({message})", path.display())]
    Damaged { path: PathBuf, message: String },
    #[error(
        "{}: schema version {found}, kaudit reads version {SCHEMA_VERSION}; run `kaudit db update` (or Trivy's own update)",
        path.display()
    )]
    Schema { path: PathBuf, found: i64 },
}

/// `metadata.json` beside `trivy.db`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Metadata {
    #[serde(rename = "Version", default)]
    pub version: i64,
    #[serde(rename = "NextUpdate", default)]
    pub next_update: String,
    #[serde(rename = "UpdatedAt", default)]
    pub updated_at: String,
    #[serde(rename = "DownloadedAt", default)]
    pub downloaded_at: String,
}

impl Metadata {
    /// How old the data is (whole days since `UpdatedAt`) and whether it is past
    /// `NextUpdate` (Trivy would download a new one); `None` where a date is unreadable.
    pub fn freshness(&self, now: i64) -> (Option<i64>, Option<bool>) {
        let at = |s: &str| crate::time::parse_rfc3339(s).map(|(secs, _)| secs);
        (
            at(&self.updated_at).map(|t| (now - t).max(0) / 86_400),
            at(&self.next_update).map(|t| t < now),
        )
    }

    /// `schema 2, updated 2026-12-01 (4 days ago; past its next update: run `kaudit db
    /// update`)`: what a report says of the data it matched with.
    pub fn describe(&self, now: i64) -> String {
        let (age, stale) = self.freshness(now);
        let day = self.updated_at.get(..10).unwrap_or(&self.updated_at);
        let mut out = format!("schema {}, updated {day}", self.version);
        match (age, stale) {
            (Some(days), Some(true)) => out.push_str(&format!(
                " ({days} days ago; past its next update: run `kaudit db update`)"
            )),
            (Some(days), _) => out.push_str(&format!(" ({days} days ago)")),
            (None, _) => out.push_str(" (its age is not known)"),
        }
        out
    }

    /// Past `NextUpdate`.
    pub fn is_stale(&self, now: i64) -> bool {
        self.freshness(now).1 == Some(true)
    }
}

/// One advisory: a vulnerability of a package in one data source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Advisory {
    pub id: String,
    /// Empty: no fix (yet).
    pub fixed_version: String,
    /// The version that introduced it, where the source says (Alpine's commercial feed).
    pub affected_version: String,
    pub vendor_ids: Vec<String>,
    /// The vendor's severity for this package (0 unknown .. 4 critical), e.g. Debian's.
    pub severity: u8,
    /// trivy-db's status code (0 unknown, 2 affected, 5 will_not_fix, ...).
    pub status: u8,
    /// Language advisories: constraints such as `>=1.0, <1.2.3`.
    pub vulnerable_versions: Vec<String>,
    pub patched_versions: Vec<String>,
    /// Ranges the advisory says are not affected (safe, like patched ones).
    pub unaffected_versions: Vec<String>,
    /// Per-architecture fixes (Rocky Linux, Oracle Linux): each applies to the packages of
    /// its architectures only.
    pub entries: Vec<ArchEntry>,
}

/// One entry of an advisory: an architecture-bound fix (Rocky Linux, Oracle Linux), or a
/// Red Hat OVAL entry that also says which products (CPE indices) it affects and which CVEs
/// it covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchEntry {
    pub fixed_version: String,
    pub arches: Vec<String>,
    /// trivy-db's status code of an unfixed entry (5 will_not_fix, 7 end_of_life...).
    pub status: u8,
    /// The indices of the products (`Red Hat CPE`) the entry applies to.
    pub affected: Vec<u32>,
    /// The CVEs of the entry and the vendor's severity of each (0 unknown .. 4 critical);
    /// an unpatched entry's CVE has no id (its key is the CVE).
    pub cves: Vec<(String, u8)>,
}

/// Where a root bucket's advisories come from (`debian`, "Debian Security Tracker").
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct DataSource {
    // trivy.db writes `ID`; kaudit's own cache reads back what it wrote (`id`).
    #[serde(rename(deserialize = "ID"), alias = "id", default)]
    pub id: String,
    #[serde(rename(deserialize = "Name"), alias = "name", default)]
    pub name: String,
    #[serde(rename(deserialize = "URL"), alias = "url", default)]
    pub url: String,
}

/// Values are read with a cap: a real advisory or detail is a few KiB.
const MAX_VALUE_BYTES: usize = 1 << 20;

/// Read access to the database, whatever type the bbolt crate gives an open file. Trivy's
/// layout is two levels deep at most: root bucket, then package bucket.
trait Reader: Send + Sync {
    /// The values in `root`/`package`, in key order (nested buckets and empty values
    /// skipped).
    fn entries(&self, root: &str, package: &str) -> Result<Vec<(String, Vec<u8>)>, String>;
    /// One value of root bucket `root`.
    fn value(&self, root: &str, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// The root buckets whose name starts with `prefix`.
    fn roots(&self, prefix: &str) -> Result<Vec<String>, String>;
    /// One value of bucket `root`/`bucket` (Red Hat's CPE mapping is that deep).
    fn nested_value(&self, root: &str, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String>;
}

struct Opened<D> {
    db: D,
}

impl<D: DbApi + Send + Sync> Reader for Opened<D> {
    fn entries(&self, root: &str, package: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut out = Vec::new();
        guarded(|| {
            self.db.view(|tx| {
                let Some(root) = tx.bucket(root.as_bytes()) else {
                    return Ok(());
                };
                let Some(package) = root.bucket(package.as_bytes()) else {
                    return Ok(());
                };
                for (k, v) in package.iter_entries() {
                    if !v.is_empty() && v.len() <= MAX_VALUE_BYTES {
                        out.push((String::from_utf8_lossy(k).into_owned(), v.to_vec()));
                    }
                }
                Ok(())
            })
        })?;
        Ok(out)
    }

    fn value(&self, root: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        let mut out = None;
        guarded(|| {
            self.db.view(|tx| {
                if let Some(bucket) = tx.bucket(root.as_bytes()) {
                    out = bucket
                        .get(key.as_bytes())
                        .filter(|v| v.len() <= MAX_VALUE_BYTES)
                        .map(<[u8]>::to_vec);
                }
                Ok(())
            })
        })?;
        Ok(out)
    }

    fn nested_value(&self, root: &str, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        let mut out = None;
        guarded(|| {
            self.db.view(|tx| {
                if let Some(bucket) = tx.bucket_path(&[root.as_bytes(), bucket.as_bytes()]) {
                    out = bucket
                        .get(key.as_bytes())
                        .filter(|v| v.len() <= MAX_VALUE_BYTES)
                        .map(<[u8]>::to_vec);
                }
                Ok(())
            })
        })?;
        Ok(out)
    }

    fn roots(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        guarded(|| {
            self.db.view(|tx| {
                for (name, _) in tx.iter_buckets() {
                    if name.starts_with(prefix.as_bytes()) {
                        out.push(String::from_utf8_lossy(name).into_owned());
                    }
                }
                Ok(())
            })
        })?;
        Ok(out)
    }
}

/// Runs a read on the mapped file; a damaged file can make the bbolt crate panic (an
/// assertion on a page it does not expect), which becomes an error here.
fn guarded(read: impl FnOnce() -> bbolt_rs::Result<()>) -> Result<(), String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the file's pages are not what a bbolt database holds".into()),
    }
}

/// An open `trivy.db`.
pub struct TrivyDb {
    reader: Box<dyn Reader>,
    path: PathBuf,
    /// `metadata.json` beside the file, when there is one.
    pub metadata: Option<Metadata>,
}

impl std::fmt::Debug for TrivyDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrivyDb").field("path", &self.path).finish()
    }
}

impl TrivyDb {
    /// Opens `trivy.db` read-only (and its `metadata.json`). Never waits: a file another
    /// process holds exclusively (Trivy writing it) is an error at once.
    pub fn open(path: &Path) -> Result<TrivyDb, Error> {
        let open_error = |message: String| Error::Open {
            path: path.to_path_buf(),
            message,
        };
        let metadata = read_metadata(path)?;
        let file = std::fs::File::open(path).map_err(|e| open_error(e.to_string()))?;
        match file.try_lock_shared() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked(path.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(open_error(e.to_string())),
        }
        let len = file
            .metadata()
            .map_err(|e| open_error(e.to_string()))?
            .len();
        if len < 2 * 4096 {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                message: format!("{len} bytes, smaller than a bbolt file's two meta pages"),
            });
        }
        let damaged = |message: String| Error::Damaged {
            path: path.to_path_buf(),
            message,
        };
        let owned = path.to_path_buf();
        let opened = std::panic::catch_unwind(move || Bolt::open_ro(owned))
            .map_err(|_| damaged("its header is not a bbolt header".into()))?
            .map_err(|e| damaged(e.to_string()))?;
        drop(file);
        Ok(TrivyDb {
            reader: Box::new(Opened { db: opened }),
            path: path.to_path_buf(),
            metadata,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn damaged(&self, message: String) -> Error {
        Error::Damaged {
            path: self.path.clone(),
            message,
        }
    }

    /// The advisories of `package` in root bucket `source` (`debian 10`), in id order.
    pub fn advisories(&self, source: &str, package: &str) -> Result<Vec<Advisory>, Error> {
        let entries = self
            .reader
            .entries(source, package)
            .map_err(|e| self.damaged(e))?;
        Ok(entries
            .into_iter()
            .filter_map(|(id, value)| parse_advisory(id, &value))
            .collect())
    }

    /// The details of a vulnerability (`vulnerability` bucket), if the database has them.
    pub fn details(&self, id: &str) -> Result<Option<serde_json::Value>, Error> {
        let value = self
            .reader
            .value("vulnerability", id)
            .map_err(|e| self.damaged(e))?;
        Ok(value.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Where root bucket `source`'s advisories come from.
    pub fn data_source(&self, source: &str) -> Result<Option<DataSource>, Error> {
        let value = self
            .reader
            .value("data-source", source)
            .map_err(|e| self.damaged(e))?;
        Ok(value.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// The Red Hat products (CPE indices) an image's content sets and build (`nvr-arch`)
    /// map to, sorted and without repeats (trivy-db's `Red Hat CPE` bucket). Entries that
    /// are not lists of numbers count as none.
    pub fn red_hat_cpe_indices(
        &self,
        content_sets: &[String],
        nvr: Option<&str>,
    ) -> Result<Vec<u32>, Error> {
        let mut indices = Vec::new();
        let keys = content_sets
            .iter()
            .map(|set| ("repository", set.as_str()))
            .chain(nvr.map(|nvr| ("nvr", nvr)));
        for (bucket, key) in keys {
            let value = self
                .reader
                .nested_value("Red Hat CPE", bucket, key)
                .map_err(|e| self.damaged(e))?;
            if let Some(list) = value.and_then(|v| serde_json::from_slice::<Vec<u32>>(&v).ok()) {
                indices.extend(list);
            }
        }
        indices.sort_unstable();
        indices.dedup();
        Ok(indices)
    }

    /// Root buckets starting with `prefix` (`pip::` finds every pip data source).
    pub fn sources_with_prefix(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.reader.roots(prefix).map_err(|e| self.damaged(e))
    }
}

/// Reads `metadata.json` next to the database; a newer schema is refused (its layout may
/// differ), an absent file is only unknown.
fn read_metadata(db: &Path) -> Result<Option<Metadata>, Error> {
    let path = db.with_file_name("metadata.json");
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(None);
    };
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, 64 << 10), &mut text).map_err(
        |e| Error::Open {
            path: path.clone(),
            message: e.to_string(),
        },
    )?;
    let metadata: Metadata = serde_json::from_slice(&text).map_err(|e| Error::Damaged {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if metadata.version != SCHEMA_VERSION {
        return Err(Error::Schema {
            path: db.to_path_buf(),
            found: metadata.version,
        });
    }
    Ok(Some(metadata))
}

type Object = serde_json::Map<String, serde_json::Value>;

fn text_field(object: &Object, key: &str) -> String {
    object
        .get(key)
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string()
}

/// The strings of an array field (anything else in it is skipped).
fn string_list(object: &Object, key: &str) -> Vec<String> {
    object
        .get(key)
        .and_then(|x| x.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A severity or status code. Codes are ints in the published DB; fixtures may carry `1.0`.
fn code(object: &Object, key: &str) -> u8 {
    object
        .get(key)
        .and_then(|x| x.as_f64())
        .filter(|n| (0.0..=16.0).contains(n))
        .map_or(0, |n| n as u8)
}

/// An advisory value; `None` for one that is not JSON or not an object (skipped, as Trivy
/// skips what it cannot decode).
fn parse_advisory(id: String, value: &[u8]) -> Option<Advisory> {
    let v: serde_json::Value = serde_json::from_slice(value).ok()?;
    // `null` decodes to an empty advisory in Go (no fix: an unpatched Mariner entry).
    let empty = serde_json::Map::new();
    let v = if v.is_null() { &empty } else { v.as_object()? };
    let text = |k: &str| text_field(v, k);
    let list = |k: &str| string_list(v, k);
    let entries = v
        .get("Entries")
        .and_then(|x| x.as_array())
        .map(|all| {
            all.iter()
                .filter_map(|e| {
                    let e = e.as_object()?;
                    Some(ArchEntry {
                        fixed_version: text_field(e, "FixedVersion"),
                        arches: string_list(e, "Arches"),
                        status: code(e, "Status"),
                        affected: e
                            .get("Affected")
                            .and_then(|x| x.as_array())
                            .map(|a| {
                                a.iter()
                                    .filter_map(|n| n.as_u64()?.try_into().ok())
                                    .collect()
                            })
                            .unwrap_or_default(),
                        cves: e
                            .get("Cves")
                            .and_then(|x| x.as_array())
                            .map(|a| {
                                a.iter()
                                    .filter_map(|c| {
                                        let c = c.as_object()?;
                                        Some((text_field(c, "ID"), code(c, "Severity")))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Advisory {
        id,
        entries,
        fixed_version: text("FixedVersion"),
        affected_version: text("AffectedVersion"),
        vendor_ids: list("VendorIDs"),
        severity: code(v, "Severity"),
        status: code(v, "Status"),
        vulnerable_versions: list("VulnerableVersions"),
        patched_versions: list("PatchedVersions"),
        unaffected_versions: list("UnaffectedVersions"),
    })
}
