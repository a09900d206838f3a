//! An image's OS and packages from its layers, wherever the layers come from (a registry,
//! an OCI layout, a `docker save` archive): each layer is streamed once and reduced to the
//! files the analyzers read; the layers are merged as the container runtime's overlay
//! would (whiteouts and opaque folders applied in order); each package is attributed to the
//! layer that first installed it, as Trivy attributes it.

pub mod layer;
pub mod overlay;
pub mod tar_guard;

use super::rootfs::{self, Contents, Files, release};
use crate::registry::{ImageManifest, ImageSource, Platform, RegistryError, manifest};
use layer::LayerFiles;
use overlay::Overlay;

/// What kaudit read of an image.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ImageContents {
    pub contents: Contents,
    /// The platform manifest's digest (empty for a saved archive).
    pub digest: String,
    /// The config's digest: the image ID.
    pub config_digest: String,
    /// The layers' digests, lowest first.
    pub layers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{image}: layer {layer}: {message}")]
    Layer {
        image: String,
        layer: String,
        message: String,
    },
    #[error("{0}")]
    Analyze(#[from] rootfs::Error),
}

/// Layers one image may have (Docker builds stop at 127; OCI sets no limit).
pub const MAX_LAYERS: usize = 1000;

/// Whether the analyzers read this path.
pub fn wanted(path: &str) -> bool {
    rootfs::lang::ecosystem_of(path).is_some()
        || release::FILES.contains(&path)
        || rootfs::PACKAGE_DATABASES
            .iter()
            .any(|db| match db.strip_suffix('/') {
                // A folder of package files: its direct children.
                Some(dir) => path
                    .strip_prefix(dir)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|name| !name.is_empty() && !name.contains('/')),
                None => path == *db,
            })
}

/// Reads the image `source` names for `platform`.
pub fn analyze(
    source: &mut dyn ImageSource,
    platform: &Platform,
) -> Result<ImageContents, ImageError> {
    let manifest = source.manifest(platform)?;
    analyze_manifest(source, manifest)
}

/// Reads the layers of an image whose manifest is already known.
pub fn analyze_manifest(
    source: &mut dyn ImageSource,
    manifest: ImageManifest,
) -> Result<ImageContents, ImageError> {
    let image = source.name().to_string();
    if manifest.layers.len() > MAX_LAYERS {
        return Err(ImageError::Registry(RegistryError::invalid(
            &image,
            "manifest",
            format!(
                "{} layers (kaudit reads at most {MAX_LAYERS})",
                manifest.layers.len()
            ),
        )));
    }
    let mut budget = layer::Budget::default();
    let mut layers: Vec<(String, LayerFiles)> = Vec::with_capacity(manifest.layers.len());
    let mut notes = Vec::new();
    for descriptor in &manifest.layers {
        if !manifest::is_unpackable_layer(&descriptor.media_type) {
            notes.push(format!(
                "layer {}: {} is not unpacked",
                descriptor.digest, descriptor.media_type
            ));
            continue;
        }
        let fail = |message: String| ImageError::Layer {
            image: image.clone(),
            layer: descriptor.digest.clone(),
            message,
        };
        let mut blob = source.blob(descriptor)?;
        let files = layer::read(&mut blob, &wanted, &mut budget).map_err(|e| fail(e.0))?;
        // The rest of the blob (compressed padding) is read too: its digest is checked at
        // the end, and a layer that does not match is not used.
        std::io::copy(&mut blob, &mut std::io::sink()).map_err(|e| fail(e.to_string()))?;
        notes.extend(
            files
                .notes
                .iter()
                .map(|n| format!("layer {}: {n}", descriptor.digest)),
        );
        layers.push((descriptor.digest.clone(), files));
    }
    let mut merged = Overlay::default();
    for (index, (_, files)) in layers.iter().enumerate() {
        merged.apply(files, index);
    }
    let mut contents = rootfs::read_files(&merged)?;
    // A language package belongs to the layer that wrote its file.
    for package in &mut contents.languages {
        package.layer = merged
            .layer_of(&package.path)
            .and_then(|i| layers.get(i))
            .map(|(digest, _)| digest.clone());
    }
    for archive in &mut contents.jars {
        archive.layer = merged
            .layer_of(&archive.path)
            .and_then(|i| layers.get(i))
            .map(|(digest, _)| digest.clone());
    }
    contents.notes.extend(notes);
    attribute(&mut contents, &layers)?;
    Ok(ImageContents {
        contents,
        digest: manifest.digest,
        config_digest: manifest.config.digest,
        layers: layers.into_iter().map(|(digest, _)| digest).collect(),
    })
}

/// Sets each package's layer: the lowest layer whose own package database lists the same
/// name and version (Trivy's `lookupOriginLayerForPkg`).
fn attribute(contents: &mut Contents, layers: &[(String, LayerFiles)]) -> Result<(), ImageError> {
    let mut per_layer = Vec::new();
    for (digest, files) in layers {
        let own = overlay::Single(files);
        if own.holds_packages() {
            let (packages, _) = rootfs::packages(&own)?;
            let set: std::collections::HashSet<(String, String)> =
                packages.into_iter().map(|p| (p.name, p.version)).collect();
            per_layer.push((digest, set));
        }
    }
    for package in &mut contents.packages {
        let key = (package.name.clone(), package.version.clone());
        package.layer = per_layer
            .iter()
            .find(|(_, set)| set.contains(&key))
            .map(|(digest, _)| (*digest).clone());
    }
    Ok(())
}

impl Files for Overlay {
    fn read_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, rootfs::Error> {
        Ok(self.get(path).map(|c| c.to_vec()))
    }
    fn list(&self, dir: &str) -> Result<Option<Vec<String>>, rootfs::Error> {
        Ok(self.children(dir))
    }
    fn find(&self, matching: &dyn Fn(&str) -> bool) -> Result<Vec<String>, rootfs::Error> {
        Ok(Overlay::find(self, matching))
    }
    fn go_binaries(&self) -> Result<Vec<(String, Vec<u8>)>, rootfs::Error> {
        Ok(Overlay::go_binaries(self))
    }
    fn jars(&self) -> Result<Vec<rootfs::jar::JarFacts>, rootfs::Error> {
        Ok(Overlay::jars(self))
    }
}
