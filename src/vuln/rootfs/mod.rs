//! What an image's root filesystem says about itself: its OS release and its installed
//! OS packages (dpkg, apk), read the way Trivy's analyzers read them. Only the few files that
//! matter are opened, each with a size cap; a link is never followed out of the root.

pub mod apk;
pub mod dpkg;
pub mod release;

use super::{Os, Package};
use std::path::{Component, Path, PathBuf};

/// A file of the image is read up to this size (the biggest dpkg status files are a few
/// MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: no OS release file (etc/os-release, etc/debian_version, etc/alpine-release, ...)", .0.display())]
    NoOs(PathBuf),
}

/// The OS and packages of a root filesystem, with what could not be read.
#[derive(Debug, Clone)]
pub struct Contents {
    pub os: Os,
    pub packages: Vec<Package>,
    /// Package databases found but not read (an rpm database, say), or read with errors.
    pub notes: Vec<String>,
}

/// Reads a file under `root` by its path in the image, refusing anything that would leave the
/// root (`..`, a symbolic link on the way); `None` when the file is not there.
pub fn read_file(root: &Path, path: &str) -> Result<Option<String>, Error> {
    let mut full = root.to_path_buf();
    for part in Path::new(path).components() {
        match part {
            Component::Normal(p) => full.push(p),
            Component::CurDir | Component::RootDir => {}
            _ => {
                return Err(Error::Read {
                    path: full,
                    message: "leaves the image's root".into(),
                });
            }
        }
        match std::fs::symlink_metadata(&full) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::Read {
                    path: full,
                    message: "is a symbolic link; not followed".into(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Read {
                    path: full,
                    message: e.to_string(),
                });
            }
        }
    }
    let fail = |message: String| Error::Read {
        path: full.clone(),
        message,
    };
    let file = std::fs::File::open(&full).map_err(|e| fail(e.to_string()))?;
    if !file.metadata().map_err(|e| fail(e.to_string()))?.is_file() {
        return Err(fail("is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "larger than {} MiB; not read",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The OS release and installed packages of the root filesystem at `root`.
pub fn read(root: &Path) -> Result<Contents, Error> {
    let os = release::detect(root)?.ok_or_else(|| Error::NoOs(root.to_path_buf()))?;
    let mut contents = Contents {
        os,
        packages: Vec::new(),
        notes: Vec::new(),
    };
    if let Some(text) = read_file(root, "var/lib/dpkg/status")? {
        contents.packages.extend(dpkg::parse(&text));
    }
    if let Some(dir) = dir_entries(root, "var/lib/dpkg/status.d")? {
        // Distroless: one status file per package.
        for name in dir {
            if let Some(text) = read_file(root, &format!("var/lib/dpkg/status.d/{name}"))? {
                contents.packages.extend(dpkg::parse(&text));
            }
        }
    }
    if let Some(text) = read_file(root, "lib/apk/db/installed")? {
        contents.packages.extend(apk::parse(&text));
    }
    for rpmdb in [
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
        "var/lib/rpm/Packages.db",
    ] {
        if read_file(root, rpmdb).is_ok_and(|f| f.is_some()) {
            contents.notes.push(format!(
                "{rpmdb}: RPM databases are not read yet, so this image's RPM packages are not evaluated"
            ));
        }
    }
    Ok(contents)
}

/// The names in a folder of the image (sorted), refusing a link.
fn dir_entries(root: &Path, path: &str) -> Result<Option<Vec<String>>, Error> {
    let full = root.join(path);
    match std::fs::symlink_metadata(&full) {
        Ok(m) if m.is_dir() => {}
        _ => return Ok(None),
    }
    let mut names: Vec<String> = std::fs::read_dir(&full)
        .map_err(|e| Error::Read {
            path: full.clone(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.ends_with(".md5sums"))
        .take(100_000)
        .collect();
    names.sort();
    Ok(Some(names))
}
