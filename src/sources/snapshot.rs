//! `kaudit snapshot`: what a live read saw, saved as a `kind: List` JSON file that any
//! kaudit (or kubectl) can read offline. A `kaudit` header keeps what the items cannot say:
//! the context, the server version, the namespaces in scope and what could not be read, so
//! an offline rerun reports the same gaps instead of silently passing them.
//!
//! It holds no Secret data: kaudit never reads Secrets.

use super::live::read::{ClusterRead, ReadStats};
use crate::inventory::Inventory;
use crate::inventory::input::AccessGap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Write;

pub const SNAPSHOT_SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub schema: u32,
    pub context: String,
    pub server: String,
    #[serde(default)]
    pub server_version: Option<String>,
    /// RFC 3339 time the cluster was read.
    pub taken_at: String,
    /// Namespaces audited; absent for all.
    #[serde(default)]
    pub scope: Option<Vec<String>>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub gaps: Vec<AccessGap>,
    #[serde(default)]
    pub kinds_listed: BTreeSet<String>,
    #[serde(default)]
    pub stats: ReadStats,
}

/// Writes the read as a snapshot. Items go one per line so the file diffs and greps well
/// and reports can point at a line.
pub fn write(
    read: &ClusterRead<Vec<u8>>,
    taken_at: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let header = Header {
        schema: SNAPSHOT_SCHEMA,
        context: read.context.clone(),
        server: read.server.clone(),
        server_version: read.server_version.clone(),
        taken_at: taken_at.to_string(),
        scope: read.scope.clone(),
        notes: read.notes.clone(),
        gaps: read.gaps.clone(),
        kinds_listed: read.kinds_listed.clone(),
        stats: read.stats.clone(),
    };
    out.write_all(b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"metadata\": {},\n\"kaudit\": ")?;
    serde_json::to_writer(&mut *out, &header)?;
    out.write_all(b",\n\"items\": [")?;
    let mut first = true;
    for part in read.parts.iter().filter(|p| !p.is_empty()) {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        out.write_all(part)?;
    }
    out.write_all(b"\n]}\n")
}

/// The header of a snapshot file, when it has one (a plain `kubectl get -o json` dump has
/// none and is read as a complete dump).
pub fn read_header(text: &str) -> Result<Option<Header>, super::Error> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        kaudit: Option<Header>,
    }
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    match serde_json::from_str::<Head>(text) {
        Ok(head) => match head.kaudit {
            Some(h) if h.schema > SNAPSHOT_SCHEMA => Err(super::Error::Snapshot(format!(
                "snapshot schema {} is newer than this kaudit understands ({SNAPSHOT_SCHEMA}); update kaudit",
                h.schema
            ))),
            other => Ok(other),
        },
        // Not JSON (or broken): the manifest reader reports it with its line.
        Err(_) => Ok(None),
    }
}

/// Reads a snapshot (or any complete dump, such as `kubectl get -A -o json`): the file is
/// read once, for its header and its items.
pub fn load(path: &std::path::Path) -> Result<Inventory, super::Error> {
    let name = path.display().to_string();
    let text = std::fs::metadata(path)
        .ok()
        .filter(|m| m.len() <= crate::sources::manifests::MAX_FILE_BYTES)
        .and_then(|_| std::fs::read_to_string(path).ok());
    let mut inventory = match &text {
        Some(text) => {
            let mut loaded = crate::inventory::input::Loaded::default();
            crate::sources::manifests::load_text(&name, text, &mut loaded);
            crate::inventory::build::from_loaded(
                crate::inventory::SourceInfo::new("snapshot", name, true, false),
                loaded,
            )
        }
        // Too big, unreadable, not UTF-8: the manifest reader says which, with the place.
        None => crate::sources::from_manifests(&[path.to_path_buf()]),
    };
    inventory.source.kind = "snapshot".into();
    inventory.source.complete = true;
    if let Some(header) = text.as_deref().map(read_header).transpose()?.flatten() {
        apply_header(&mut inventory, header);
    }
    Ok(inventory)
}

/// Applies a snapshot header to the inventory read from its items.
fn apply_header(inventory: &mut Inventory, header: Header) {
    inventory.source.kind = "snapshot".into();
    inventory.source.live = true;
    inventory.source.complete = header.gaps.is_empty() && header.scope.is_none();
    inventory.source.description = format!(
        "{} (snapshot of context {} ({}) taken {})",
        inventory.source.description, header.context, header.server, header.taken_at
    );
    inventory.source.context = header.context;
    inventory.source.server_version = header.server_version;
    inventory.source.notes = header.notes;
    inventory.source.scope = header.scope;
    inventory.kinds_seen.extend(header.kinds_listed);
    inventory.access_gaps = header.gaps;
}
