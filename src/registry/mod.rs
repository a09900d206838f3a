//! Container images as content-addressed blobs: from a registry (the distribution API), an
//! OCI image layout folder or a `docker save` archive. Every source hands out the same
//! things: the manifest of the platform that runs, and each blob as a reader that checks
//! its size and digest while it is read, so a lying source is caught on the blob it lied
//! about.

pub mod archive;
pub mod artifact;
pub mod auth;
pub mod blob;
pub mod client;
pub mod layout;
pub mod manifest;

pub use manifest::{Descriptor, ImageManifest, Platform};

use std::io::Read;

/// Why an image could not be read. Each names the image (and the blob when one is at fault).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{image}: authentication required or refused ({status}){hint}")]
    Unauthorized {
        image: String,
        status: u16,
        hint: String,
    },
    #[error("{image}: {what} not found")]
    NotFound { image: String, what: String },
    #[error("{image}: the registry answered {status} for {what}")]
    Status {
        image: String,
        what: String,
        status: u16,
    },
    #[error("{image}: {what}: {message}")]
    Transport {
        image: String,
        what: String,
        message: String,
    },
    #[error("{image}: {what}: {message}")]
    Invalid {
        image: String,
        what: String,
        message: String,
    },
}

impl RegistryError {
    pub fn invalid(image: &str, what: &str, message: impl Into<String>) -> Self {
        RegistryError::Invalid {
            image: image.to_string(),
            what: what.to_string(),
            message: message.into(),
        }
    }
}

/// Where an image's blobs come from.
pub trait ImageSource {
    /// The image as users name it (a reference, a folder, an archive).
    fn name(&self) -> &str;
    /// The manifest of the image for `platform` (an index is resolved to it).
    fn manifest(&mut self, platform: &Platform) -> Result<ImageManifest, RegistryError>;
    /// A blob, read through a check of its size and digest (see [`blob::Verified`]).
    fn blob(&mut self, descriptor: &Descriptor) -> Result<Box<dyn Read + '_>, RegistryError>;
}
