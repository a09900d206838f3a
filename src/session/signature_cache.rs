//! What registries held next to each image digest (`signatures::material::Material`), kept
//! in kaudit's store: reused for an hour (signatures can be added to an image at any time),
//! per digest and platform.

use crate::signatures::material::Material;
use crate::store::Store;

/// The store's area, and the version of the material's shape (a new one leaves older
/// entries unused).
const AREA: &str = "signature-material";
const VERSION: &str = "v1";
/// How long what was fetched is reused.
pub const FRESH_SECS: i64 = 3600;

fn key(platform: &str) -> String {
    format!("{VERSION}/{platform}")
}

/// The material fetched for `digest` (on `platform`) within the last [`FRESH_SECS`].
pub fn load(store: &Store, digest: &str, platform: &str) -> Option<Material> {
    let since = crate::time::rfc3339(crate::time::unix_now() - FRESH_SECS);
    let bytes = store
        .cached_since(AREA, digest, &key(platform), &since)
        .ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Keeps the material fetched for `digest` now.
pub fn keep(store: &Store, digest: &str, platform: &str, material: &Material) {
    if let Ok(bytes) = serde_json::to_vec(material) {
        let _ = store.cache(
            AREA,
            digest,
            &key(platform),
            &bytes,
            &crate::time::now_rfc3339(),
        );
    }
}
