//! A `docker save` (or `podman save`) archive: a tar holding `manifest.json`, the image
//! config and one tar per layer. kaudit indexes the archive once (name → offset and size)
//! and then reads each member in place, so nothing is unpacked to disk. Layers are checked
//! against the config's `diff_ids` (a saved layer is the uncompressed tar those name), or
//! against their `blobs/sha256/<hex>` name in the OCI-style archives Docker 25 writes.

use super::blob::Verified;
use super::layout::{open_regular, read_capped};
use super::manifest::{self, Descriptor, ImageConfig, ImageManifest, Platform};
use super::{ImageSource, RegistryError};
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// An archive with more members than this is not a saved image.
const MAX_MEMBERS: usize = 100_000;

pub struct Archive {
    file: File,
    name: String,
    /// Member name (without `./`) → (offset of its data, size).
    members: HashMap<String, (u64, u64)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

impl Archive {
    pub fn open(path: &Path) -> Result<Archive, RegistryError> {
        let name = path.display().to_string();
        let fail = |m: String| RegistryError::invalid(&name, "image archive", m);
        let file = open_regular(path).map_err(|m| fail(m.unwrap_or_else(|| "missing".into())))?;
        let mut members = HashMap::new();
        let mut links = Vec::new();
        for (count, entry) in tar::Archive::new(crate::vuln::image::tar_guard::Guarded::new(&file))
            .entries()
            .map_err(|e| fail(e.to_string()))?
            .enumerate()
        {
            let entry = entry.map_err(|e| fail(format!("not a tar archive: {e}")))?;
            if count >= MAX_MEMBERS {
                return Err(fail(format!("more than {MAX_MEMBERS} members")));
            }
            let Some(member) = crate::vuln::image::layer::normalize(&entry.path_bytes()) else {
                continue;
            };
            let kind = entry.header().entry_type();
            if kind.is_file() {
                members.insert(member, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink()
                && let Some(target) = entry.link_name_bytes()
            {
                // Docker before 25 saves a repeated layer as a link to its first copy
                // (`../<id>/layer.tar`); resolved inside the archive only.
                let parent = member.rsplit_once('/').map_or("", |(p, _)| p);
                let joined = format!("{parent}/{}", String::from_utf8_lossy(&target));
                if let Some(resolved) = resolve(&joined) {
                    links.push((member, resolved));
                }
            }
        }
        for (member, target) in links {
            if let Some(found) = members.get(&target).copied() {
                members.insert(member, found);
            }
        }
        Ok(Archive {
            file,
            name,
            members,
        })
    }

    fn member(&self, member: &str) -> Result<(u64, u64), RegistryError> {
        let normalized =
            crate::vuln::image::layer::normalize(member.as_bytes()).unwrap_or_default();
        self.members
            .get(&normalized)
            .copied()
            .ok_or_else(|| RegistryError::NotFound {
                image: self.name.clone(),
                what: format!("archive member {member}"),
            })
    }

    fn reader(&self, member: &str) -> Result<impl Read + '_, RegistryError> {
        let (offset, size) = self.member(member)?;
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| RegistryError::invalid(&self.name, member, e.to_string()))?;
        Ok(file.take(size))
    }

    fn small(&self, member: &str, cap: u64) -> Result<Vec<u8>, RegistryError> {
        read_capped(self.reader(member)?, cap)
            .map_err(|m| RegistryError::invalid(&self.name, member, m))
    }
}

impl ImageSource for Archive {
    fn name(&self) -> &str {
        &self.name
    }

    fn manifest(&mut self, _platform: &Platform) -> Result<ImageManifest, RegistryError> {
        let bytes = self.small("manifest.json", manifest::MAX_MANIFEST_BYTES as u64)?;
        let entries: Vec<Entry> = serde_json::from_slice(&bytes)
            .map_err(|e| RegistryError::invalid(&self.name, "manifest.json", e.to_string()))?;
        // `docker save a b` writes one entry per image; kaudit reads the first.
        let entry = entries
            .into_iter()
            .next()
            .ok_or_else(|| RegistryError::invalid(&self.name, "manifest.json", "lists no image"))?;
        let config_bytes = self.small(&entry.config, manifest::MAX_CONFIG_BYTES)?;
        let config: ImageConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| RegistryError::invalid(&self.name, &entry.config, e.to_string()))?;
        let config_digest = {
            let mut hashed = Verified::new(&config_bytes[..], None, None);
            let _ = std::io::copy(&mut hashed, &mut std::io::sink());
            hashed.digest()
        };
        let layers = entry
            .layers
            .iter()
            .enumerate()
            .map(|(i, member)| {
                let (_, size) = self.member(member)?;
                // The member's own content name when it has one, else the layer's diff id.
                let named = member
                    .strip_prefix("blobs/sha256/")
                    .map(|hex| format!("sha256:{hex}"));
                let digest = named
                    .or_else(|| config.rootfs.diff_ids.get(i).cloned())
                    .filter(|d| manifest::sha256_hex(d).is_some())
                    .ok_or_else(|| {
                        // Nothing to check the layer against: it is not read unchecked.
                        RegistryError::invalid(
                            &self.name,
                            member,
                            "no sha256 digest to check it against (the config lists no diff id for it)",
                        )
                    })?;
                let mut annotations = std::collections::BTreeMap::new();
                annotations.insert(MEMBER.to_string(), member.clone());
                Ok(Descriptor {
                    media_type: String::new(),
                    digest,
                    size,
                    platform: None,
                    annotations,
                    artifact_type: String::new(),
                })
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
        let mut annotations = std::collections::BTreeMap::new();
        if let Some(tag) = entry.repo_tags.first() {
            annotations.insert("org.opencontainers.image.ref.name".to_string(), tag.clone());
        }
        Ok(ImageManifest {
            // A saved image has no manifest digest; its ID is its config's digest.
            digest: String::new(),
            config: Descriptor {
                media_type: String::new(),
                digest: config_digest,
                size: config_bytes.len() as u64,
                platform: None,
                annotations,
                artifact_type: String::new(),
            },
            layers,
        })
    }

    fn blob(&mut self, descriptor: &Descriptor) -> Result<Box<dyn Read + '_>, RegistryError> {
        let member = descriptor
            .annotations
            .get(MEMBER)
            .cloned()
            .unwrap_or_else(|| {
                format!(
                    "blobs/sha256/{}",
                    manifest::sha256_hex(&descriptor.digest).unwrap_or("")
                )
            });
        let reader = self.reader(&member)?;
        Ok(Box::new(Verified::new(
            reader,
            manifest::sha256_hex(&descriptor.digest),
            Some(descriptor.size),
        )))
    }
}

/// `a/./b/../c` → `a/c`; `None` when it climbs out of the archive.
fn resolve(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The annotation carrying a layer's member name inside the archive.
const MEMBER: &str = "dev.kaudit.archive.member";

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn link_targets_stay_inside_the_archive() {
        assert_eq!(resolve("b/../a/layer.tar").as_deref(), Some("a/layer.tar"));
        assert_eq!(resolve("b/./layer.tar").as_deref(), Some("b/layer.tar"));
        assert_eq!(resolve("b/../../etc/passwd"), None);
        assert_eq!(resolve(""), None);
    }
}
