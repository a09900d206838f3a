//! What a registry holds next to one image (its signature layers, attestations, Sigstore
//! bundles and Notary signatures, for the digest asked and the platform image), fetched once
//! and judged with any trust: kept in kaudit's store per digest so that a second audit, or
//! the same images under other keys, asks the registry nothing.

use super::judge;
use super::trust::Trust;
use super::{SignatureCheck, SignatureLayer, Status, Verdict};

/// What was fetched for one image.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Material {
    pub reference: String,
    /// The digest the reference resolves to (an index's for a multi-platform image).
    pub digest: String,
    /// The platform image's digest, when the reference is an index.
    pub platform_digest: Option<String>,
    /// `registry/repository`, what a payload's `docker-reference` should name.
    pub repository: String,
    pub items: Vec<Item>,
    pub warnings: Vec<String>,
    /// Why the referrers could not be listed (then "no signature" is not "unsigned").
    pub referrers_failed: Option<String>,
}

/// One thing found, with the digest it was found for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Item {
    /// A cosign `.sig` layer.
    Signature {
        digest: String,
        layer: SignatureLayer,
    },
    /// A `.sig` layer that could not be read (too big, not its digest), with why.
    Unreadable { digest: String, reason: String },
    /// A cosign `.att` layer: a DSSE envelope.
    Attestation {
        digest: String,
        #[serde(with = "b64")]
        envelope: Vec<u8>,
    },
    /// A Sigstore bundle found as a referrer (its layer's digest names it in warnings).
    Bundle {
        digest: String,
        layer_digest: String,
        #[serde(with = "b64")]
        bytes: Vec<u8>,
    },
    /// A Notary signature (named, not verified).
    Notary { digest: String },
}

impl Material {
    /// The verdict on the image with what `trust` holds. Pure and offline.
    pub fn judge(&self, trust: &Trust) -> Verdict {
        let mut verdict = Verdict::error(&self.reference, String::new());
        verdict.digest = Some(self.digest.clone());
        verdict.platform_digest = self.platform_digest.clone();
        verdict.warnings = self.warnings.clone();
        for item in &self.items {
            match item {
                Item::Signature { digest, layer } => {
                    let check = judge::signature(layer, digest, trust);
                    if check.status == Status::Verified
                        && let Some(w) =
                            judge::reference_warning(&check.docker_reference, &self.repository)
                        && !verdict.warnings.contains(&w)
                    {
                        verdict.warnings.push(w);
                    }
                    verdict.signatures.push(check);
                }
                Item::Unreadable { digest, reason } => verdict.signatures.push(
                    SignatureCheck::unverified(digest, super::admission::Format::Legacy, reason),
                ),
                Item::Attestation { digest, envelope } => verdict
                    .attestations
                    .extend(judge::attestation(envelope, digest, &trust.keys)),
                Item::Bundle {
                    digest,
                    layer_digest,
                    bytes,
                } => match judge::bundle(bytes, digest, trust) {
                    Some(judge::Found::Signature(check)) => verdict.signatures.push(check),
                    Some(judge::Found::Attestation(a)) => verdict.attestations.push(a),
                    None => verdict
                        .warnings
                        .push(format!("{layer_digest}: not a Sigstore bundle kaudit reads")),
                },
                Item::Notary { digest } => verdict.signatures.push(SignatureCheck::unverified(
                    digest,
                    super::admission::Format::Notary,
                    "a Notary signature: named, not verified (kaudit does not verify Notary signatures yet)",
                )),
            }
        }
        let index = self
            .platform_digest
            .is_some()
            .then_some(self.digest.as_str());
        (verdict.status, verdict.reason) = judge::status(&verdict.signatures, index);
        if let (Status::Unsigned, Some(e)) = (verdict.status, &self.referrers_failed) {
            // Bundles may be there: unknown, not unsigned.
            verdict.status = Status::Error;
            verdict.reason =
                format!("no .sig signature, and the referrers could not be listed: {e}");
        }
        verdict
    }
}

/// Bytes as base64 in the stored JSON (payloads and envelopes are mostly text, but not
/// always).
pub(crate) mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}
