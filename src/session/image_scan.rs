//! One image's known vulnerabilities (`kaudit image scan`): its packages read from a
//! registry, an OCI layout, a saved archive or an unpacked root, then matched against
//! Trivy's database. What an image digest holds never changes, so its packages are kept in
//! kaudit's store by digest and platform, and a second scan of the same digest reads no
//! layer (matching runs again, so a newer database is always used).

use crate::registry::client::{Remote, RemoteOptions};
use crate::registry::{ImageSource, Platform, archive::Archive, layout::Layout, manifest};
use crate::store::Store;
use crate::vuln::image::{self, ImageContents};
use crate::vuln::trivydb::TrivyDb;
use crate::vuln::{ImageScan, ScannedOs, ScannedWith, eol, matcher, rootfs, severity};
use std::path::{Path, PathBuf};

/// What to scan.
#[derive(Debug, Clone)]
pub enum Target {
    Reference(String),
    Layout(PathBuf),
    Archive(PathBuf),
    Rootfs(PathBuf),
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::Reference(r) => r.clone(),
            Target::Layout(p) | Target::Archive(p) | Target::Rootfs(p) => p.display().to_string(),
        }
    }
}

pub struct Options {
    pub platform: Platform,
    pub remote: RemoteOptions,
    /// kaudit's store, for the per-digest cache; `None` reads every layer every time.
    pub store: Option<PathBuf>,
}

/// The cache area and the version of what kaudit reads from layers: a new version (new
/// analyzers, new fields) leaves older entries unused.
const CACHE_AREA: &str = "image-packages";
const CACHE_VERSION: &str = "v1";

/// The image's OS and packages, and whether they came from the cache.
pub fn read(target: &Target, options: &Options) -> Result<(ImageContents, bool), String> {
    let store = options.store.as_deref().and_then(|p| Store::open(p).ok());
    let key = format!("{CACHE_VERSION}/{}", options.platform);
    let cached = |digest: &str| -> Option<ImageContents> {
        let bytes = store.as_ref()?.cached(CACHE_AREA, digest, &key).ok()??;
        serde_json::from_slice(&bytes).ok()
    };
    let mut source: Box<dyn ImageSource> = match target {
        Target::Rootfs(root) => {
            let contents = rootfs::read(root).map_err(|e| e.to_string())?;
            let read = ImageContents {
                contents,
                digest: String::new(),
                config_digest: String::new(),
                layers: Vec::new(),
            };
            return Ok((read, false));
        }
        Target::Reference(reference) => {
            // A reference by digest is answered from the cache before any request.
            if let Some(digest) = reference.split_once('@').map(|(_, d)| d)
                && let Some(found) = cached(digest)
            {
                return Ok((found, true));
            }
            Box::new(Remote::new(reference, options.remote.clone()).map_err(|e| e.to_string())?)
        }
        Target::Layout(dir) => Box::new(Layout::open(dir).map_err(|e| e.to_string())?),
        Target::Archive(file) => Box::new(Archive::open(file).map_err(|e| e.to_string())?),
    };
    let manifest = source
        .manifest(&options.platform)
        .map_err(|e| e.to_string())?;
    let digest = if manifest.digest.is_empty() {
        manifest.config.digest.clone()
    } else {
        manifest.digest.clone()
    };
    if manifest::sha256_hex(&digest).is_some()
        && let Some(found) = cached(&digest)
    {
        return Ok((found, true));
    }
    let read = image::analyze_manifest(source.as_mut(), manifest).map_err(|e| e.to_string())?;
    if let Some(store) = &store
        && manifest::sha256_hex(&digest).is_some()
        && let Ok(bytes) = serde_json::to_vec(&read)
    {
        let now = crate::time::now_rfc3339();
        let _ = store.cache(CACHE_AREA, &digest, &key, &bytes, &now);
        if let Target::Reference(reference) = target
            && let Some((_, asked)) = reference.split_once('@')
            && asked != digest
        {
            let _ = store.cache(CACHE_AREA, asked, &key, &bytes, &now);
        }
    }
    Ok((read, false))
}

/// Matches an image's packages against the database.
pub fn scan(
    artifact: String,
    read: ImageContents,
    cached: bool,
    db: &TrivyDb,
    db_path: &Path,
    today: &str,
) -> Result<ImageScan, String> {
    let os = read.contents.os.clone();
    let evaluated = matcher::family(&os).is_some();
    let mut found =
        matcher::matches(db, &os, &read.contents.packages).map_err(|e| e.to_string())?;
    found.sort_by(|a, b| {
        severity(b.severity)
            .cmp(&severity(a.severity))
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut notes = read.contents.notes.clone();
    if !evaluated {
        notes.push(format!(
            "{} {}: kaudit does not match this OS family yet; its packages are not evaluated",
            os.family, os.release
        ));
    }
    Ok(ImageScan {
        artifact,
        digest: Some(read.digest).filter(|d| !d.is_empty()),
        cached,
        os: ScannedOs {
            eosl: eol::is_past(&os, today),
            family: os.family,
            release: os.release,
        },
        evaluated,
        packages: read.contents.packages.len(),
        database: ScannedWith {
            path: db_path.display().to_string(),
            updated_at: db.metadata.as_ref().map(|m| m.updated_at.clone()),
            next_update: db.metadata.as_ref().map(|m| m.next_update.clone()),
        },
        notes,
        vulnerabilities: found,
    })
}
