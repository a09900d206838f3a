//! An OCI image layout folder (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), as
//! `skopeo copy`, `crane pull --format oci` or BuildKit write it. Blob names are built only
//! from digests checked to be `sha256:<64 hex>`, and a blob must be a regular file.

use super::blob::Verified;
use super::manifest::{self, Descriptor, ImageManifest, MAX_MANIFEST_BYTES, Platform};
use super::{ImageSource, RegistryError};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub struct Layout {
    root: PathBuf,
    name: String,
}

impl Layout {
    pub fn open(root: &Path) -> Result<Layout, RegistryError> {
        let name = root.display().to_string();
        if !root.join("index.json").is_file() {
            return Err(RegistryError::invalid(
                &name,
                "OCI layout",
                "no index.json (an OCI image layout folder has oci-layout, index.json and blobs/)",
            ));
        }
        Ok(Layout {
            root: root.to_path_buf(),
            name,
        })
    }

    fn open_blob(&self, digest: &str) -> Result<File, RegistryError> {
        let hex = manifest::sha256_hex(digest).ok_or_else(|| {
            RegistryError::invalid(&self.name, digest, "not a sha256 digest; not read")
        })?;
        let path = self.root.join("blobs").join("sha256").join(hex);
        open_regular(&path).map_err(|message| match message {
            None => RegistryError::NotFound {
                image: self.name.clone(),
                what: format!("blob {digest}"),
            },
            Some(message) => RegistryError::invalid(&self.name, digest, message),
        })
    }

    fn small(&self, path: &Path, what: &str) -> Result<Vec<u8>, RegistryError> {
        let file = open_regular(path).map_err(|m| {
            RegistryError::invalid(&self.name, what, m.unwrap_or_else(|| "missing".into()))
        })?;
        read_capped(file, MAX_MANIFEST_BYTES as u64)
            .map_err(|m| RegistryError::invalid(&self.name, what, m))
    }
}

impl ImageSource for Layout {
    fn name(&self) -> &str {
        &self.name
    }

    fn manifest(&mut self, platform: &Platform) -> Result<ImageManifest, RegistryError> {
        let index = self.small(&self.root.join("index.json"), "index.json")?;
        manifest::resolve(&self.name, (index, String::new()), platform, |d| {
            let mut reader = Verified::new(
                self.open_blob(&d.digest)?,
                manifest::sha256_hex(&d.digest),
                Some(d.size),
            );
            let mut bytes = Vec::new();
            (&mut reader)
                .take(MAX_MANIFEST_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .and_then(|_| reader.finish())
                .map_err(|e| RegistryError::invalid(&self.name, &d.digest, e.to_string()))?;
            Ok(bytes)
        })
    }

    fn blob(&mut self, descriptor: &Descriptor) -> Result<Box<dyn Read + '_>, RegistryError> {
        let file = self.open_blob(&descriptor.digest)?;
        Ok(Box::new(Verified::new(
            file,
            manifest::sha256_hex(&descriptor.digest),
            Some(descriptor.size),
        )))
    }
}

/// Opens a regular file without following a link at its last step; `Err(None)` when it is
/// not there.
pub(crate) fn open_regular(path: &Path) -> Result<File, Option<String>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => None,
            _ if e.raw_os_error() == Some(libc::ELOOP) => {
                Some("is a symbolic link; not followed".to_string())
            }
            _ => Some(e.to_string()),
        })?;
    let meta = file.metadata().map_err(|e| Some(e.to_string()))?;
    if !meta.is_file() {
        return Err(Some("is not a regular file".into()));
    }
    Ok(file)
}

pub(crate) fn read_capped(file: impl Read, cap: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("larger than {} KiB; not read", cap >> 10));
    }
    Ok(bytes)
}
