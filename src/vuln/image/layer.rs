//! One layer's tar stream (plain, gzip or zstd, told by its first bytes), reduced to what
//! the analyzers read: the wanted files' contents, and the whiteouts and opaque folders that
//! hide lower layers' files. Nothing is written to disk. Names are normalized (`./`, `/`);
//! a name with `..` is skipped and counted, links are recorded as "not a regular file"
//! (Trivy reads regular files only), and every read is capped: the layer's unpacked size,
//! each file, the number of entries.

use crate::vuln::rootfs::{self, gobinary, jar};
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::sync::Arc;

/// What one layer may unpack to at most; a decompression bomb stops here.
pub const MAX_LAYER_BYTES: u64 = 8 << 30;
/// What everything kept of one image weighs at most, over all its layers: file contents,
/// names, whiteouts (a node_modules tree has tens of thousands of small package.json files).
pub const MAX_KEPT_BYTES: u64 = 1 << 30;
/// Notes one layer may add (links at wanted paths, say); the rest are counted.
const MAX_NOTES: usize = 50;

/// What is left of an image's memory budget, shared by its layers.
#[derive(Debug)]
pub struct Budget(pub u64);

impl Default for Budget {
    fn default() -> Self {
        Budget(MAX_KEPT_BYTES)
    }
}

impl Budget {
    /// Takes `bytes` from the budget; false when there is not that much left.
    fn spend(&mut self, bytes: u64) -> bool {
        match self.0.checked_sub(bytes) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => false,
        }
    }
}
/// Entries in one layer at most (real layers have up to a few hundred thousand).
pub const MAX_ENTRIES: u64 = 5_000_000;

/// A wanted path's state in a layer: its bytes, or present but not a regular file.
pub type Content = Option<Arc<Vec<u8>>>;

#[derive(Debug, Default)]
pub struct LayerFiles {
    pub files: BTreeMap<String, Content>,
    /// Paths this layer deletes from the layers below (`.wh.<name>`).
    pub whiteouts: Vec<String>,
    /// Folders whose lower contents this layer hides (`.wh..wh..opq`).
    pub opaque: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LayerError(pub String);

/// Whiteouts and opaque folders one layer may hold (real layers have a few hundred): each
/// is kept, since language package files can live anywhere.
pub const MAX_WHITEOUTS: usize = 1_000_000;

/// Reads a layer; `wanted` says which paths to keep.
pub fn read(
    mut blob: impl Read,
    wanted: &dyn Fn(&str) -> bool,
    budget: &mut Budget,
) -> Result<LayerFiles, LayerError> {
    // The first bytes tell the compression; a registry may hand them over a byte at a time.
    let mut head = Vec::with_capacity(4);
    (&mut blob)
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| LayerError(e.to_string()))?;
    let buffered =
        BufReader::with_capacity(256 << 10, std::io::Cursor::new(head.clone()).chain(blob));
    let unpacked: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if head == [0x28, 0xb5, 0x2f, 0xfd] {
        let mut decoder = zstd::stream::read::Decoder::with_buffer(buffered)
            .map_err(|e| LayerError(format!("zstd: {e}")))?;
        // zstd frames may ask for windows up to 2 GiB; 128 MiB is what real encoders use.
        decoder
            .window_log_max(27)
            .map_err(|e| LayerError(format!("zstd: {e}")))?;
        Box::new(decoder)
    } else {
        Box::new(buffered)
    };
    let mut capped = Capped {
        inner: unpacked,
        left: MAX_LAYER_BYTES,
    };
    let mut layer = LayerFiles::default();
    let mut skipped = 0u64;
    let mut unsaid = 0usize;
    let mut full = false;
    let over = || {
        LayerError(format!(
            "the image's kept names and package files pass {} MiB; not read further",
            MAX_KEPT_BYTES >> 20
        ))
    };
    {
        let mut tar = tar::Archive::new(super::tar_guard::Guarded::new(&mut capped));
        let entries = tar.entries().map_err(|e| LayerError(e.to_string()))?;
        for (count, entry) in entries.enumerate() {
            if count as u64 >= MAX_ENTRIES {
                return Err(LayerError(format!("more than {MAX_ENTRIES} entries")));
            }
            let mut entry = entry.map_err(|e| LayerError(e.to_string()))?;
            let Some(path) = normalize(&entry.path_bytes()) else {
                skipped += 1;
                continue;
            };
            let (parent, base) = path.rsplit_once('/').unwrap_or(("", &path));
            let marker = base == ".wh..wh..opq" || base.starts_with(".wh.");
            if marker && layer.opaque.len() + layer.whiteouts.len() >= MAX_WHITEOUTS {
                return Err(LayerError(format!("more than {MAX_WHITEOUTS} whiteouts")));
            }
            if marker && !budget.spend(path.len() as u64) {
                return Err(over());
            }
            if base == ".wh..wh..opq" {
                layer.opaque.push(parent.to_string());
                continue;
            }
            if let Some(hidden) = base.strip_prefix(".wh.") {
                layer.whiteouts.push(join(parent, hidden));
                continue;
            }
            if jar::is_archive(&path) && entry.header().entry_type().is_file() && !full {
                // A Java archive is read whole (zip needs its central directory, at the
                // end), reduced to what it says of itself, and let go.
                let facts = if entry.size() > jar::MAX_ARCHIVE_BYTES {
                    jar::JarFacts {
                        path: path.clone(),
                        error: Some(format!(
                            "larger than {} MiB; not read",
                            jar::MAX_ARCHIVE_BYTES >> 20
                        )),
                        ..Default::default()
                    }
                } else {
                    let mut bytes = Vec::with_capacity(entry.size().min(16 << 20) as usize);
                    (&mut entry)
                        .take(jar::MAX_ARCHIVE_BYTES)
                        .read_to_end(&mut bytes)
                        .map_err(|e| LayerError(format!("{path}: {e}")))?;
                    jar::read(&path, &bytes)
                };
                let mut kept = jar::MARKER.to_vec();
                kept.extend(serde_json::to_vec(&facts).unwrap_or_default());
                if budget.spend(path.len() as u64 + kept.len() as u64) {
                    layer.files.insert(path, Some(Arc::new(kept)));
                }
                continue;
            }
            if !wanted(&path) {
                // An executable may be a Go binary: looked through as it streams past (the
                // tar reader reads over its bytes anyway); what it is, or that it is not
                // one, is kept so a later layer's file replaces a lower one's.
                let executable = entry.header().entry_type().is_file()
                    && entry.header().mode().is_ok_and(|m| m & 0o111 != 0)
                    && (1024..=gobinary::MAX_BINARY_BYTES).contains(&entry.size());
                if executable && !full {
                    let info = gobinary::scan(&mut entry)
                        .map_err(|e| LayerError(format!("{path}: {e}")))?;
                    let cost = path.len() as u64 + info.as_ref().map_or(0, |i| i.len() as u64);
                    if budget.spend(cost) {
                        layer.files.insert(path, info.map(Arc::new));
                    }
                }
                continue;
            }
            let kind = entry.header().entry_type();
            let mut note = |text: String| {
                if layer.notes.len() < MAX_NOTES {
                    layer.notes.push(text);
                } else {
                    unsaid += 1;
                }
            };
            if !kind.is_file() {
                if !kind.is_dir() {
                    note(format!("{path}: a link or special file; not followed"));
                    if !budget.spend(path.len() as u64) {
                        return Err(over());
                    }
                    layer.files.insert(path, None);
                }
                continue;
            }
            let max_file_bytes = rootfs::max_file_bytes(&path);
            if entry.size() > max_file_bytes {
                note(format!(
                    "{path}: larger than {} MiB; not read",
                    max_file_bytes >> 20
                ));
                if !budget.spend(path.len() as u64) {
                    return Err(over());
                }
                layer.files.insert(path, None);
                continue;
            }
            if full || !budget.spend(entry.size() + path.len() as u64) {
                if !full {
                    note(format!(
                        "more than {} MiB of package files in the image; {path} and the rest not read",
                        MAX_KEPT_BYTES >> 20
                    ));
                    full = true;
                }
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            (&mut entry)
                .take(max_file_bytes)
                .read_to_end(&mut bytes)
                .map_err(|e| LayerError(format!("{path}: {e}")))?;
            layer.files.insert(path, Some(Arc::new(bytes)));
        }
    }
    if skipped > 0 {
        layer.notes.push(format!(
            "{skipped} entries with `..` or an empty name skipped"
        ));
    }
    if unsaid > 0 {
        layer.notes.push(format!("{unsaid} more such notes"));
    }
    // What follows the archive's end marker is still read, so the digest below is checked.
    std::io::copy(&mut capped, &mut std::io::sink()).map_err(|e| LayerError(e.to_string()))?;
    Ok(layer)
}

/// `./etc/os-release`, `/etc/os-release` → `etc/os-release`; `None` for a name with `..`
/// or nothing left.
pub fn normalize(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// A reader that fails once more than `left` bytes came through.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "unpacks to more than {} GiB; not read further (a decompression bomb?)",
                    MAX_LAYER_BYTES >> 30
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_escapes_refused() {
        assert_eq!(
            normalize(b"./etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            normalize(b"/var//lib/dpkg/status").as_deref(),
            Some("var/lib/dpkg/status")
        );
        assert_eq!(normalize(b"../../etc/passwd"), None);
        assert_eq!(normalize(b"etc/../../x"), None);
        assert_eq!(normalize(b"./"), None);
    }
}
