//! OCI artifacts of one layer (Trivy's databases are published this way): the manifest by
//! tag or digest, the one layer of the media type asked for.

use super::client::Remote;
use super::manifest::{Descriptor, Document};
use super::{ImageSource, RegistryError};

/// The artifact's only layer, refusing an index, several layers or another media type.
pub fn single_layer(remote: &mut Remote, media_type: &str) -> Result<Descriptor, RegistryError> {
    let image = remote.reference().clone();
    let name = remote.name().to_string();
    let reference = image
        .digest
        .clone()
        .or(image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let (bytes, _) = remote.manifest_bytes(&reference)?;
    let document = Document::parse(&name, &bytes)?;
    if document.is_index() {
        return Err(RegistryError::invalid(
            &name,
            "manifest",
            "an index, not a single artifact",
        ));
    }
    let [layer] = document.layers.as_slice() else {
        return Err(RegistryError::invalid(
            &name,
            "manifest",
            format!(
                "{} layers; the artifact must have one",
                document.layers.len()
            ),
        ));
    };
    if layer.media_type != media_type {
        return Err(RegistryError::invalid(
            &name,
            "manifest",
            format!(
                "its layer is {}, not {media_type}",
                if layer.media_type.is_empty() {
                    "of no media type"
                } else {
                    &layer.media_type
                }
            ),
        ));
    }
    Ok(layer.clone())
}
