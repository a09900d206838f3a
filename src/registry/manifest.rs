//! Manifests and indexes as the OCI image spec and Docker's schema 2 write them, and the
//! choice of the platform that runs out of a multi-platform index.

use super::RegistryError;
use serde::Deserialize;

/// A manifest or index is a small document: containerd refuses more than 4 MiB.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;
/// Image configs are JSON of a few KiB; history-heavy ones stay far under this.
pub const MAX_CONFIG_BYTES: u64 = 8 << 20;
/// Indexes nest (an index of indexes) at most this deep.
pub const MAX_INDEX_DEPTH: usize = 4;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// What kaudit asks a registry for, best first.
pub const ACCEPTED: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// What an artifact (a signature, an SBOM) is, on a referrer's descriptor.
    #[serde(default)]
    pub artifact_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, `linux/arm64/v8`; the OS defaults to linux.
    pub fn parse(text: &str) -> Option<Platform> {
        let mut parts = text.split('/');
        let (os, architecture) = (parts.next()?, parts.next()?);
        let variant = parts.next().map(str::to_string);
        if os.is_empty() || architecture.is_empty() || parts.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant,
        })
    }

    /// Linux on this machine's architecture, named as Go names it.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// Whether an index entry's platform serves this one (a variant asked for must match;
    /// none asked takes any).
    fn serves(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && (wanted.variant.is_none() || self.variant == wanted.variant)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// A manifest or an index, as far as kaudit reads them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub artifact_type: String,
}

impl Document {
    pub fn parse(image: &str, bytes: &[u8]) -> Result<Document, RegistryError> {
        let document: Document = serde_json::from_slice(bytes)
            .map_err(|e| RegistryError::invalid(image, "manifest", e.to_string()))?;
        if document.schema_version != 2 {
            return Err(RegistryError::invalid(
                image,
                "manifest",
                format!(
                    "schema version {} (only version 2 manifests are read)",
                    document.schema_version
                ),
            ));
        }
        Ok(document)
    }

    pub fn is_index(&self) -> bool {
        matches!(self.media_type.as_deref(), Some(OCI_INDEX | DOCKER_LIST))
            || (self.config.is_none() && !self.manifests.is_empty())
    }

    /// The index entry for `platform`, or an error naming the platforms there are.
    pub fn select(&self, image: &str, platform: &Platform) -> Result<Descriptor, RegistryError> {
        if let Some(found) = self
            .manifests
            .iter()
            .find(|m| m.platform.as_ref().is_some_and(|p| p.serves(platform)))
        {
            return Ok(found.clone());
        }
        // An index without platforms (an OCI layout's index.json) holding one image.
        let images: Vec<&Descriptor> = self
            .manifests
            .iter()
            .filter(|m| m.platform.is_none())
            .collect();
        if images.len() == 1 && self.manifests.len() == 1 {
            return Ok(images[0].clone());
        }
        let offered: Vec<String> = self
            .manifests
            .iter()
            .filter_map(|m| m.platform.as_ref())
            // Attestation manifests carry unknown/unknown.
            .filter(|p| p.os != "unknown")
            .map(Platform::to_string)
            .collect();
        Err(RegistryError::invalid(
            image,
            "index",
            if offered.is_empty() {
                format!(
                    "{} manifests and no platform to choose by",
                    self.manifests.len()
                )
            } else {
                format!("no {platform} image (it has {})", offered.join(", "))
            },
        ))
    }

    /// The image manifest's parts, refusing what is not a container image (a Helm chart, a
    /// signature, a Windows image with foreign layers is still read, its foreign layers not).
    pub fn image(self, image: &str, digest: &str) -> Result<ImageManifest, RegistryError> {
        let config = self
            .config
            .ok_or_else(|| RegistryError::invalid(image, "manifest", "no config"))?;
        let known_config = [
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
            "",
        ];
        if !known_config.contains(&config.media_type.as_str()) {
            return Err(RegistryError::invalid(
                image,
                "manifest",
                format!(
                    "not a container image (its config is {})",
                    config.media_type
                ),
            ));
        }
        Ok(ImageManifest {
            digest: digest.to_string(),
            config,
            layers: self.layers,
        })
    }
}

/// One platform's image: its manifest digest, config and layers, lowest first.
#[derive(Debug, Clone)]
pub struct ImageManifest {
    pub digest: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// The parts of an image config kaudit reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub rootfs: RootFs,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// Whether a layer's media type is one kaudit unpacks; foreign (Windows base) layers and
/// non-layer blobs are not.
pub fn is_unpackable_layer(media_type: &str) -> bool {
    media_type.is_empty()
        || matches!(
            media_type,
            "application/vnd.oci.image.layer.v1.tar"
                | "application/vnd.oci.image.layer.v1.tar+gzip"
                | "application/vnd.oci.image.layer.v1.tar+zstd"
                | "application/vnd.docker.image.rootfs.diff.tar.gzip"
                | "application/vnd.docker.image.rootfs.diff.tar"
        )
}

/// `sha256:<64 hex>` (the only digest kaudit verifies); its hex part.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

/// Resolves an index to the manifest for `platform`, following nested indexes a few levels:
/// `fetch` reads a manifest by digest and returns its bytes.
pub fn resolve(
    image: &str,
    first: (Vec<u8>, String),
    platform: &Platform,
    mut fetch: impl FnMut(&Descriptor) -> Result<Vec<u8>, RegistryError>,
) -> Result<ImageManifest, RegistryError> {
    let (mut bytes, mut digest) = first;
    for _ in 0..MAX_INDEX_DEPTH {
        let document = Document::parse(image, &bytes)?;
        if !document.is_index() {
            return document.image(image, &digest);
        }
        let chosen = document.select(image, platform)?;
        bytes = fetch(&chosen)?;
        digest = chosen.digest;
    }
    Err(RegistryError::invalid(
        image,
        "index",
        format!("indexes nested deeper than {MAX_INDEX_DEPTH}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_select() {
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64/v8"
        );
        assert!(Platform::parse("linux").is_none());
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b","size":1,"platform":{"os":"linux","architecture":"amd64"}},
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:c","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        let doc = Document::parse("x", index).unwrap();
        assert!(doc.is_index());
        let amd = Platform::parse("linux/amd64").unwrap();
        assert_eq!(doc.select("x", &amd).unwrap().digest, "sha256:b");
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(doc.select("x", &arm).unwrap().digest, "sha256:a");
        let err = doc
            .select("x", &Platform::parse("linux/s390x").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no linux/s390x image (it has linux/arm64/v8, linux/amd64)"),
            "{err}"
        );
    }

    #[test]
    fn digests_are_checked_before_they_name_a_file() {
        assert!(sha256_hex(&format!("sha256:{}", "a".repeat(64))).is_some());
        assert!(sha256_hex("sha256:../../etc/passwd").is_none());
        assert!(sha256_hex(&format!("sha256:{}", "A".repeat(64))).is_none());
        assert!(sha256_hex(&format!("sha512:{}", "a".repeat(64))).is_none());
    }
}
