//! Every read kaudit makes of what it audits: manifest files and folders, a snapshot, a live
//! cluster, the embedded demo cluster, and reading source files again to point at fields.
//! One [`Source`] names which; everything after it (engine, reports, TUI) is the same.

pub mod demo;
mod error;
pub mod live;
pub mod locate;
pub mod manifests;
pub mod snapshot;

pub use error::{Error, ErrorKind};

use crate::inventory::{Inventory, SourceInfo, build};

use std::io::BufRead;
use std::path::{Path, PathBuf};

/// What an audit reads its cluster from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The embedded demo cluster (with its audit log and audit policy).
    Demo,
    /// Manifest files and folders (`-` for standard input).
    Manifests(Vec<PathBuf>),
    /// A file written by `kaudit snapshot` (or any complete cluster dump).
    Snapshot(PathBuf),
    /// The cluster of a kubeconfig context.
    Live(live::LiveOptions),
}

impl Source {
    /// Reads the source into an inventory. Files that cannot be read are input errors in the
    /// inventory; only a source that cannot be read at all is an error here.
    pub fn load(&self) -> Result<Inventory, Error> {
        match self {
            Source::Demo => Ok(demo::inventory()),
            Source::Manifests(paths) => Ok(from_manifests(paths)),
            Source::Snapshot(path) => {
                if !path.is_file() {
                    return Err(Error::Snapshot(format!(
                        "snapshot {} is not a readable file",
                        path.display()
                    )));
                }
                snapshot::load(path)
            }
            Source::Live(options) => live::read_cluster(options).map(|read| read.into_inventory()),
        }
    }

    /// How the header names the source.
    pub fn label(&self) -> String {
        match self {
            Source::Live(options) => {
                let context = options
                    .context
                    .as_deref()
                    .map_or("current context".to_string(), |c| format!("context {c}"));
                format!("cluster ({context}, read-only)")
            }
            Source::Demo => "demo (embedded Acme Shop cluster)".into(),
            Source::Snapshot(path) => format!("snapshot {}", path.display()),
            Source::Manifests(paths) => {
                let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("manifests {}", paths.join(", "))
            }
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, Source::Live(_))
    }

    /// The audit log that comes with the source (the demo's), as a name and its bytes.
    pub fn embedded_audit_log(&self) -> Option<(&'static str, &'static [u8])> {
        matches!(self, Source::Demo).then(|| ("demo/audit.log", demo::audit_log()))
    }

    /// The audit policy that comes with the source (the demo's), as a name and its text.
    pub fn embedded_audit_policy(&self) -> Option<(&'static str, &'static str)> {
        matches!(self, Source::Demo).then(|| ("demo/audit/policy.yaml", demo::audit_policy()))
    }

    /// The registries images may come from when the user named none (the demo's own).
    pub fn default_allowed_registries(&self) -> Vec<String> {
        match self {
            Source::Demo => demo::ALLOWED_REGISTRIES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Opens a file a finding names (a manifest, an audit log) to read it again: the
    /// embedded copy for the demo's own files, else the file on disk (gzip unpacked).
    pub fn open(&self, file: &str) -> std::io::Result<Box<dyn BufRead + Send>> {
        if let Some(text) = self.embedded_text(file) {
            return Ok(Box::new(text));
        }
        crate::auditlog::reader::open(Path::new(file))
    }

    fn embedded_text(&self, file: &str) -> Option<&'static [u8]> {
        match self {
            Source::Demo => demo::file_bytes(file),
            _ => None,
        }
    }
}

impl locate::TextSource for Source {
    fn text(&self, file: &str) -> Option<String> {
        match self.embedded_text(file) {
            Some(bytes) => String::from_utf8(bytes.to_vec()).ok(),
            None => locate::TextSource::text(&locate::Disk, file),
        }
    }
}

/// Reads manifests from files and folders (`-` for standard input).
pub fn from_manifests(paths: &[PathBuf]) -> Inventory {
    // Typed on the reading threads as each file is parsed: the parsed documents (twenty
    // times the size of the YAML) never all exist at once.
    let loaded = manifests::load_paths_with(paths, manifests::MAX_FILE_BYTES, &build::type_owned);
    let description = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut source = SourceInfo::new("manifests", description, false, false);
    source.context = manifests_context(paths);
    build::from_typed(source, loaded)
}

/// The audit history's context for manifests: the same folder, however it was named, is the
/// same history.
pub fn manifests_context(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| match std::fs::canonicalize(p) {
            Ok(full) => full.display().to_string(),
            Err(_) if p.as_os_str() == "-" => "<stdin>".to_string(),
            Err(_) => p.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
