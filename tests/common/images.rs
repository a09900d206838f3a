//! Small container images built by the tests: layers as real tar streams (plain, gzip or
//! zstd), OCI manifests and configs, written as an OCI layout folder or a `docker save`
//! archive, or pushed to a registry.

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

#[derive(Clone, Copy)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// One tar entry of a layer.
pub enum Entry<'a> {
    File(&'a str, &'a [u8]),
    /// An executable file (mode 0755).
    Exec(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    Dir(&'a str),
}

pub struct Blob {
    pub bytes: Vec<u8>,
    pub digest: String,
    pub media_type: String,
}

impl Blob {
    pub fn new(bytes: Vec<u8>, media_type: &str) -> Blob {
        Blob {
            digest: sha256(&bytes),
            bytes,
            media_type: media_type.to_string(),
        }
    }

    pub fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

/// A layer's uncompressed tar.
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(0);
        match entry {
            Entry::File(path, data) | Entry::Exec(path, data) => {
                if matches!(entry, Entry::Exec(..)) {
                    header.set_mode(0o755);
                }
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                set_path(&mut header, path);
                header.set_cksum();
                builder.append(&header, *data).unwrap();
            }
            Entry::Symlink(path, target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                set_path(&mut header, path);
                header.set_link_name(target).unwrap();
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
            Entry::Dir(path) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                set_path(&mut header, path);
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// Writes the name bytes as they are: the tar crate refuses `..` in `set_path`, and the
/// tests need hostile names.
fn set_path(header: &mut tar::Header, path: &str) {
    let name = &mut header.as_old_mut().name;
    name.fill(0);
    name[..path.len()].copy_from_slice(path.as_bytes());
}

pub fn layer(entries: &[Entry], compression: Compression) -> Blob {
    compress(tar(entries), compression)
}

pub fn compress(tar: Vec<u8>, compression: Compression) -> Blob {
    match compression {
        Compression::None => Blob::new(tar, "application/vnd.oci.image.layer.v1.tar"),
        Compression::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&tar).unwrap();
            Blob::new(
                gz.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Compression::Zstd => Blob::new(
            zstd::encode_all(&tar[..], 3).unwrap(),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    }
}

pub struct Image {
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub manifest: Blob,
    /// Uncompressed tars, for `docker save`.
    pub tars: Vec<Vec<u8>>,
}

impl Image {
    pub fn new(layers: Vec<(Vec<u8>, Compression)>, architecture: &str) -> Image {
        let blobs: Vec<Blob> = layers
            .iter()
            .map(|(tar, c)| compress(tar.clone(), *c))
            .collect();
        let diff_ids: Vec<String> = layers.iter().map(|(tar, _)| sha256(tar)).collect();
        let config = serde_json::json!({
            "architecture": architecture, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {}
        });
        let config = Blob::new(
            serde_json::to_vec(&config).unwrap(),
            "application/vnd.oci.image.config.v1+json",
        );
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": blobs.iter().map(Blob::descriptor).collect::<Vec<_>>(),
        });
        Image {
            manifest: Blob::new(
                serde_json::to_vec(&manifest).unwrap(),
                "application/vnd.oci.image.manifest.v1+json",
            ),
            config,
            layers: blobs,
            tars: layers.into_iter().map(|(tar, _)| tar).collect(),
        }
    }

    /// A one-layer OCI artifact (how Trivy publishes its databases).
    pub fn artifact(layer: Vec<u8>, layer_type: &str, config_type: &str) -> Image {
        let layer = Blob::new(layer, layer_type);
        let config = Blob::new(b"{}".to_vec(), config_type);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": [layer.descriptor()],
        });
        Image {
            manifest: Blob::new(
                serde_json::to_vec(&manifest).unwrap(),
                "application/vnd.oci.image.manifest.v1+json",
            ),
            config,
            layers: vec![layer],
            tars: Vec::new(),
        }
    }

    /// What cosign pushes under `sha256-<hex>.sig` or `.att`: a dummy config and one layer
    /// per signature (or attestation), each with its annotations.
    pub fn attached(layers: &[(Vec<u8>, &str, serde_json::Value)]) -> Image {
        let config = Blob::new(
            br#"{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
                .to_vec(),
            "application/vnd.oci.image.config.v1+json",
        );
        let blobs: Vec<Blob> = layers
            .iter()
            .map(|(bytes, media_type, _)| Blob::new(bytes.clone(), media_type))
            .collect();
        let descriptors: Vec<serde_json::Value> = blobs
            .iter()
            .zip(layers)
            .map(|(blob, (_, _, annotations))| {
                let mut d = blob.descriptor();
                d["annotations"] = annotations.clone();
                d
            })
            .collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": descriptors,
        });
        Image {
            manifest: Blob::new(
                serde_json::to_vec(&manifest).unwrap(),
                "application/vnd.oci.image.manifest.v1+json",
            ),
            config,
            layers: blobs,
            tars: Vec::new(),
        }
    }

    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config)
            .chain(self.layers.iter())
            .chain(std::iter::once(&self.manifest))
    }
}

/// An index of platform images.
pub fn index(images: &[(&Image, &str, &str)]) -> Blob {
    let manifests: Vec<serde_json::Value> = images
        .iter()
        .map(|(image, os, arch)| {
            let mut d = image.manifest.descriptor();
            d["platform"] = serde_json::json!({"os": os, "architecture": arch});
            d
        })
        .collect();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    });
    Blob::new(
        serde_json::to_vec(&index).unwrap(),
        "application/vnd.oci.image.index.v1+json",
    )
}

/// An OCI layout holding `blobs`, its index.json listing `top`.
pub fn write_layout(dir: &Path, blobs: &[&Blob], top: &Blob) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    for blob in blobs.iter().chain(std::iter::once(&top)) {
        let hex = blob.digest.strip_prefix("sha256:").unwrap();
        std::fs::write(dir.join("blobs/sha256").join(hex), &blob.bytes).unwrap();
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [top.descriptor()],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

pub fn layout_of(dir: &Path, image: &Image) {
    let blobs: Vec<&Blob> = image.blobs().collect();
    write_layout(dir, &blobs, &image.manifest);
}

/// A `docker save` archive of `image` (legacy layout: `<n>/layer.tar`).
pub fn write_archive(path: &Path, image: &Image, tag: &str) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, data).unwrap();
    };
    let config_name = format!("{}.json", image.config.digest.trim_start_matches("sha256:"));
    add(&config_name, &image.config.bytes);
    let mut layers = Vec::new();
    for (i, tar) in image.tars.iter().enumerate() {
        let name = format!("{i}/layer.tar");
        add(&name, tar);
        layers.push(name);
    }
    let manifest =
        serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": layers}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    builder.finish().unwrap();
}
