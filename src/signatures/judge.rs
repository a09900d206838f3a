//! Judging what was found: each signature against the trusted keys and the digest it must
//! bind, each attestation's envelope likewise, and the image's status from them. Pure: the
//! registry is asked in `discover`.

use super::keys::TrustedKey;
use super::payload::{self, IN_TOTO_PAYLOAD_TYPE};
use super::{Attestation, SignatureCheck, SignatureLayer, Status};
use base64::Engine;

/// A tampered payload and another key's signature fail the same way; the reason says so.
const NO_TRUSTED_KEY: &str = "no trusted key verifies it (another key signed it, or the payload was changed after signing: a verifier cannot tell which)";

/// Checks one signature layer found for `digest`.
pub fn signature(layer: &SignatureLayer, digest: &str, keys: &[TrustedKey]) -> SignatureCheck {
    let check =
        |status, key: Option<&TrustedKey>, reason: String, reference: String| SignatureCheck {
            digest: digest.to_string(),
            key: key.map(|k| k.name.clone()),
            verified_by: Vec::new(),
            status,
            format: super::admission::Format::Legacy,
            reason,
            docker_reference: reference,
        };
    let claims = payload::claims(&layer.payload);
    let reference = claims
        .as_ref()
        .map(|c| c.docker_reference.clone())
        .unwrap_or_default();
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(layer.signature.trim()) else {
        return check(
            Status::Unverified,
            None,
            "its signature annotation is not base64".into(),
            reference,
        );
    };
    let Some(key) = keys.iter().find(|k| k.verifies(&layer.payload, &raw)) else {
        let reason = match &layer.certificate {
            Some(_) if keys.is_empty() => {
                "a keyless (certificate) signature; kaudit verifies keyless signatures with --certificate-identity, not built yet".to_string()
            }
            Some(_) => format!("{NO_TRUSTED_KEY}; it carries a certificate (keyless)"),
            None if keys.is_empty() => "no trusted key was given (--key FILE)".to_string(),
            None => NO_TRUSTED_KEY.to_string(),
        };
        return check(Status::Unverified, None, reason, reference);
    };
    match claims {
        Err(e) => check(
            Status::Invalid,
            Some(key),
            format!("signed by {}, but {e}", key.name),
            reference,
        ),
        Ok(c) if c.digest != digest => check(
            Status::Invalid,
            Some(key),
            format!(
                "signed by {}, but for another image ({}): a signature copied from elsewhere",
                key.name, c.digest
            ),
            reference,
        ),
        Ok(c) => {
            let reason = format!("signed by {} ({})", key.name, key.kind());
            let mut verified = check(Status::Verified, Some(key), reason, c.docker_reference);
            verified.verified_by = keys
                .iter()
                .filter(|k| k.name == key.name || k.verifies(&layer.payload, &raw))
                .map(|k| k.name.clone())
                .collect();
            verified
        }
    }
}

/// Whether a payload's `docker-reference` names the image's repository (cosign writes the
/// repository without tag; containers/image may add one).
pub fn reference_warning(docker_reference: &str, repository: &str) -> Option<String> {
    if docker_reference.is_empty() {
        return None;
    }
    let bare = docker_reference
        .split_once('@')
        .map_or(docker_reference, |(r, _)| r);
    let bare = match bare.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => bare,
    };
    let same = crate::image_ref::ImageRef::parse(bare)
        .zip(crate::image_ref::ImageRef::parse(repository))
        .is_some_and(|(a, b)| a.registry == b.registry && a.repository == b.repository);
    (!same).then(|| {
        format!(
            "a signature's docker-reference is {docker_reference}, not this image's repository {repository} (cosign does not check it; it may have been signed under another name or copied)"
        )
    })
}

/// Checks one attestation layer (a DSSE envelope) found for `digest`.
pub fn attestation(envelope: &[u8], digest: &str, keys: &[TrustedKey]) -> Option<Attestation> {
    let envelope = payload::envelope(envelope).ok()?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return None;
    }
    let statement = payload::statement(&envelope.payload).ok()?;
    let signed = payload::pae(&envelope.payload_type, &envelope.payload);
    let key = keys
        .iter()
        .find(|k| envelope.signatures.iter().any(|s| k.verifies(&signed, s)));
    let about_this = statement.subjects.iter().any(|s| s == digest);
    let reason = match (key, about_this) {
        (Some(k), true) => format!("signed by {}", k.name),
        (Some(k), false) => format!(
            "signed by {}, but its subject is another image ({})",
            k.name,
            statement.subjects.join(", ")
        ),
        (None, _) => NO_TRUSTED_KEY.to_string(),
    };
    Some(Attestation {
        digest: digest.to_string(),
        kind: payload::predicate_kind(&statement.predicate_type),
        key: key.filter(|_| about_this).map(|k| k.name.clone()),
        statement,
        reason,
    })
}

/// The image's status and its reason from every signature found (for the index and the
/// platform image): verified when one binds, else invalid when a trusted key signed the
/// wrong thing, else unverified when any exists, else unsigned.
pub fn status(checks: &[SignatureCheck], index: Option<&str>) -> (Status, String) {
    let which = |digest: &str| {
        if index == Some(digest) {
            "the index"
        } else {
            "the platform image"
        }
    };
    let best = checks.iter().min_by_key(|c| c.status);
    match best {
        None => (
            Status::Unsigned,
            "no signature (no cosign .sig, no Sigstore bundle, no Notary signature)".into(),
        ),
        Some(c) if c.status == Status::Verified => {
            let on = if index.is_some() {
                format!(" on {}", which(&c.digest))
            } else {
                String::new()
            };
            (Status::Verified, format!("{}{on}", c.reason))
        }
        Some(_) => {
            let invalid = checks.iter().find(|c| c.status == Status::Invalid);
            match invalid {
                Some(c) => (Status::Invalid, c.reason.clone()),
                None => (
                    Status::Unverified,
                    format!(
                        "{} signature{}, {}",
                        checks.len(),
                        if checks.len() == 1 { "" } else { "s" },
                        checks[0].reason
                    ),
                ),
            }
        }
    }
}

/// The predicate type of cosign v3's image signature in a bundle.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// What a Sigstore bundle found as a referrer of `digest` is.
pub enum Found {
    Signature(SignatureCheck),
    Attestation(Attestation),
}

/// Checks a Sigstore bundle (v0.1-v0.3) holding a DSSE envelope: cosign v3's image
/// signature (an in-toto statement of predicate `cosign/sign/v1` about the image), or an
/// attestation. Verified with the trusted keys (a keyless bundle's certificate is not
/// verified yet); `None` for a bundle that is neither.
pub fn bundle(bytes: &[u8], digest: &str, keys: &[TrustedKey]) -> Option<Found> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let media_type = value.get("mediaType")?.as_str()?;
    if !media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return None;
    }
    let envelope = serde_json::to_vec(value.get("dsseEnvelope")?).ok()?;
    let keyless = value
        .pointer("/verificationMaterial/certificate")
        .or_else(|| value.pointer("/verificationMaterial/x509CertificateChain"))
        .is_some();
    let found = attestation(&envelope, digest, keys)?;
    if found.statement.predicate_type != COSIGN_SIGN_PREDICATE {
        return Some(Found::Attestation(found));
    }
    let bound = found.statement.subjects.iter().any(|s| s == digest);
    let parsed = payload::envelope(&envelope).ok()?;
    let signed = payload::pae(&parsed.payload_type, &parsed.payload);
    let verified_by: Vec<String> = keys
        .iter()
        .filter(|k| parsed.signatures.iter().any(|s| k.verifies(&signed, s)))
        .map(|k| k.name.clone())
        .collect();
    let (status, reason) = match (verified_by.first(), bound) {
        (Some(k), true) => (Status::Verified, format!("signed by {k} (Sigstore bundle)")),
        (None, _) if keyless => (
            Status::Unverified,
            "a keyless (Fulcio) Sigstore bundle; kaudit does not verify keyless signatures yet"
                .to_string(),
        ),
        (None, _) => (
            Status::Unverified,
            format!("a Sigstore bundle: {NO_TRUSTED_KEY}"),
        ),
        (Some(_), false) => (Status::Invalid, found.reason.clone()),
    };
    Some(Found::Signature(SignatureCheck {
        digest: digest.to_string(),
        key: verified_by.first().cloned().filter(|_| bound),
        verified_by: if bound { verified_by } else { Vec::new() },
        status,
        format: super::admission::Format::Bundle,
        reason,
        docker_reference: String::new(),
    }))
}
