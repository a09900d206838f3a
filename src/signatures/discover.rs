//! Finding an image's cosign signatures and attestations in its registry (the tag schema:
//! `sha256-<hex>.sig` and `.att` next to the image), for the digest the reference names and,
//! for a multi-platform index, for the platform image too; then judging them.

use super::judge;
use super::trust::Trust;
use super::{SignatureCheck, SignatureLayer, Status, Verdict};
use crate::registry::client::{Remote, RemoteOptions};
use crate::registry::manifest::{self, Document};
use crate::registry::{Descriptor, ImageSource, Platform, RegistryError};
use std::io::Read;

/// The layer media type of a cosign signature.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer media type of a cosign attestation.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// A Sigstore bundle's layer (cosign v3's signatures and attestations, as OCI referrers).
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// A Notary Project signature's artifact type (or, in older ones, config media type).
pub const NOTARY_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// A signature payload is a few hundred bytes; an attestation (an SBOM) can be large.
const MAX_PAYLOAD_BYTES: u64 = 1 << 20;
const MAX_ENVELOPE_BYTES: u64 = 32 << 20;
/// Signature or attestation layers looked at per tag (each signer appends one).
const MAX_LAYERS: usize = 64;

/// Verifies one image: finds its signatures and attestations and judges them with what `trust` holds.
/// A registry that cannot be asked gives status `error`, never `unsigned`.
pub fn verify(
    reference: &str,
    trust: &Trust,
    platform: &Platform,
    options: RemoteOptions,
) -> Verdict {
    let mut verdict = Verdict::error(reference, String::new());
    if let Err(e) = discover(reference, trust, platform, options, &mut verdict) {
        verdict.status = Status::Error;
        verdict.reason = format!("not verified: {e}");
    }
    verdict
}

fn discover(
    reference: &str,
    trust: &Trust,
    platform: &Platform,
    options: RemoteOptions,
    verdict: &mut Verdict,
) -> Result<(), RegistryError> {
    let mut remote = Remote::new(reference, options)?;
    let image = remote.reference().clone();
    let asked = image
        .digest
        .clone()
        .or_else(|| image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let (bytes, digest) = remote.manifest_bytes(&asked)?;
    let document = Document::parse(reference, &bytes)?;
    let mut digests = vec![digest.clone()];
    if document.is_index() {
        let chosen = document.select(reference, platform)?;
        verdict.platform_digest = Some(chosen.digest.clone());
        digests.push(chosen.digest);
    }
    verdict.digest = Some(digest.clone());
    let repository = format!("{}/{}", image.registry, image.repository);
    for d in &digests {
        let Some(hex) = manifest::sha256_hex(d) else {
            continue;
        };
        for layer in layers(&mut remote, &format!("sha256-{hex}.sig"), SIMPLE_SIGNING)? {
            let check = match layer {
                Ok((descriptor, payload)) => {
                    let found = SignatureLayer {
                        payload,
                        signature: annotation(&descriptor, SIGNATURE_ANNOTATION),
                        certificate: Some(annotation(&descriptor, CERTIFICATE_ANNOTATION))
                            .filter(|c| !c.is_empty()),
                        chain: Some(annotation(&descriptor, CHAIN_ANNOTATION))
                            .filter(|c| !c.is_empty()),
                        rekor_bundle: Some(annotation(&descriptor, BUNDLE_ANNOTATION))
                            .filter(|c| !c.is_empty()),
                    };
                    judge::signature(&found, d, trust)
                }
                Err(reason) => {
                    SignatureCheck::unverified(d, super::admission::Format::Legacy, &reason)
                }
            };
            if check.status == Status::Verified
                && let Some(w) = judge::reference_warning(&check.docker_reference, &repository)
                && !verdict.warnings.contains(&w)
            {
                verdict.warnings.push(w);
            }
            verdict.signatures.push(check);
        }
        for layer in layers(&mut remote, &format!("sha256-{hex}.att"), DSSE_ENVELOPE)? {
            match layer {
                Ok((_, envelope)) => {
                    verdict
                        .attestations
                        .extend(judge::attestation(&envelope, d, &trust.keys));
                }
                Err(reason) => verdict.warnings.push(format!("an attestation: {reason}")),
            }
        }
    }
    let mut referrers_failed = None;
    for d in &digests {
        match remote.referrers(d) {
            Ok(found) => {
                for referrer in found.into_iter().take(MAX_LAYERS) {
                    if let Err(e) = referrer_of(&mut remote, &referrer, d, trust, verdict) {
                        verdict
                            .warnings
                            .push(format!("referrer {}: {e}", referrer.digest));
                    }
                }
            }
            Err(e) => referrers_failed = Some(e.to_string()),
        }
    }
    let index = document.is_index().then_some(digest.as_str());
    let (status, reason) = judge::status(&verdict.signatures, index);
    verdict.status = status;
    verdict.reason = reason;
    if let (Status::Unsigned, Some(e)) = (status, referrers_failed) {
        // Bundles may be there: unknown, not unsigned.
        verdict.status = Status::Error;
        verdict.reason = format!("no .sig signature, and the referrers could not be listed: {e}");
    }
    Ok(())
}

/// One referrer of `digest`: a Sigstore bundle (a signature or an attestation) or a Notary
/// signature, classified by its layers and artifact type (the fallback index's own
/// artifactType is not trusted: older cosign versions wrote the empty type there).
fn referrer_of(
    remote: &mut Remote,
    referrer: &Descriptor,
    digest: &str,
    trust: &Trust,
    verdict: &mut Verdict,
) -> Result<(), RegistryError> {
    if manifest::sha256_hex(&referrer.digest).is_none() {
        return Ok(());
    }
    let (bytes, _) = remote.manifest_bytes(&referrer.digest)?;
    let name = remote.name().to_string();
    let document = Document::parse(&name, &bytes)?;
    let artifact = [
        document.artifact_type.as_str(),
        referrer.artifact_type.as_str(),
        document
            .config
            .as_ref()
            .map_or("", |c| c.media_type.as_str()),
    ];
    if artifact.contains(&NOTARY_SIGNATURE) {
        verdict.signatures.push(SignatureCheck::unverified(
            digest,
            super::admission::Format::Notary,
            "a Notary signature: named, not verified (kaudit does not verify Notary signatures yet)",
        ));
        return Ok(());
    }
    for layer in document
        .layers
        .iter()
        .filter(|l| l.media_type == SIGSTORE_BUNDLE)
        .take(MAX_LAYERS)
    {
        if layer.size > MAX_ENVELOPE_BYTES {
            verdict.warnings.push(format!(
                "a Sigstore bundle of {} bytes; not read",
                layer.size
            ));
            continue;
        }
        let mut bytes = Vec::new();
        remote.blob(layer).and_then(|mut blob| {
            blob.read_to_end(&mut bytes)
                .map_err(|e| RegistryError::invalid(&name, &layer.digest, e.to_string()))
        })?;
        match judge::bundle(&bytes, digest, trust) {
            Some(judge::Found::Signature(check)) => verdict.signatures.push(check),
            Some(judge::Found::Attestation(a)) => verdict.attestations.push(a),
            None => verdict.warnings.push(format!(
                "{}: not a Sigstore bundle kaudit reads",
                layer.digest
            )),
        }
    }
    Ok(())
}

fn annotation(descriptor: &Descriptor, key: &str) -> String {
    descriptor.annotations.get(key).cloned().unwrap_or_default()
}

/// One layer found under a tag: its descriptor and bytes, or why it could not be read.
type Found = Result<(Descriptor, Vec<u8>), String>;

/// The layers of `media_type` under `tag`; none when the tag does not exist. A layer that
/// is too big or does not match its digest is a reason, not an error of the whole image.
fn layers(remote: &mut Remote, tag: &str, media_type: &str) -> Result<Vec<Found>, RegistryError> {
    let bytes = match remote.manifest_bytes(tag) {
        Ok((bytes, _)) => bytes,
        Err(RegistryError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let name = remote.name().to_string();
    let document = Document::parse(&name, &bytes)?;
    let cap = if media_type == SIMPLE_SIGNING {
        MAX_PAYLOAD_BYTES
    } else {
        MAX_ENVELOPE_BYTES
    };
    let mut out = Vec::new();
    // Only layers of the type asked for count: a text attachment with a signature
    // annotation is not a signature.
    for descriptor in document
        .layers
        .into_iter()
        .filter(|l| l.media_type == media_type)
        .take(MAX_LAYERS)
    {
        if descriptor.size > cap {
            out.push(Err(format!(
                "a layer of {} bytes, more than a {} holds; not read",
                descriptor.size,
                if media_type == SIMPLE_SIGNING {
                    "signature"
                } else {
                    "attestation"
                }
            )));
            continue;
        }
        let mut bytes = Vec::new();
        let read = remote
            .blob(&descriptor)
            .and_then(|mut blob| {
                blob.read_to_end(&mut bytes)
                    .map_err(|e| RegistryError::invalid(&name, &descriptor.digest, e.to_string()))
            })
            .map_err(|e| format!("its layer could not be read: {e}"));
        out.push(read.map(|_| (descriptor, bytes)));
    }
    Ok(out)
}
