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
        || rootfs::buildinfo::is_file(path)
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
/// name and version (Trivy's `lookupOriginLayerForPkg`), and that layer's Red Hat build
/// information.
fn attribute(contents: &mut Contents, layers: &[(String, LayerFiles)]) -> Result<(), ImageError> {
    let mut per_layer = Vec::new();
    let mut build_infos = Vec::with_capacity(layers.len());
    for (index, (digest, files)) in layers.iter().enumerate() {
        let own = overlay::Single(files);
        build_infos.push(rootfs::buildinfo::read(&own)?);
        if own.holds_packages() {
            let (packages, _) = rootfs::packages(&own)?;
            let set: std::collections::HashSet<(String, String)> =
                packages.into_iter().map(|p| (p.name, p.version)).collect();
            per_layer.push((index, digest, set));
        }
    }
    for package in &mut contents.packages {
        let key = (package.name.clone(), package.version.clone());
        let origin = per_layer.iter().find(|(_, _, set)| set.contains(&key));
        package.layer = origin.map(|(_, digest, _)| (*digest).clone());
        package.build_info =
            origin.and_then(|(index, _, _)| layer_build_info(&build_infos, *index));
    }
    Ok(())
}

/// The build information that applies to layer `index` (Trivy's `lookupBuildInfo`): its
/// own; for the base layer, which Red Hat builds without it, the next layer's; for a layer
/// built on a Red Hat image, the nearest lower layer's.
fn layer_build_info(
    per_layer: &[Option<rootfs::buildinfo::BuildInfo>],
    index: usize,
) -> Option<rootfs::buildinfo::BuildInfo> {
    if let Some(own) = per_layer.get(index)? {
        return Some(own.clone());
    }
    if index == 0 {
        return per_layer.get(1).cloned().flatten();
    }
    per_layer[..index].iter().rev().find_map(Clone::clone)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rootfs::buildinfo::BuildInfo;

    #[test]
    fn each_layer_takes_the_build_information_trivy_gives_it() {
        let build = |nvr: &str| {
            Some(BuildInfo {
                nvr: nvr.into(),
                arch: "x86_64".into(),
                ..BuildInfo::default()
            })
        };
        // Red Hat's base layer has none: it takes the next layer's. A customer's layers on
        // top take the nearest Red Hat layer below.
        let layers = [
            None,
            build("ubi8-8.4-206"),
            None,
            build("ubi8-minimal-8.4-1"),
            None,
        ];
        let nvr = |i| layer_build_info(&layers, i).map(|b| b.nvr);
        assert_eq!(nvr(0).as_deref(), Some("ubi8-8.4-206"));
        assert_eq!(nvr(1).as_deref(), Some("ubi8-8.4-206"));
        assert_eq!(nvr(2).as_deref(), Some("ubi8-8.4-206"));
        assert_eq!(nvr(4).as_deref(), Some("ubi8-minimal-8.4-1"));
        assert_eq!(layer_build_info(&[None], 0), None);
        assert_eq!(layer_build_info(&layers, 9), None);
    }
}
