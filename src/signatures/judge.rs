//! Judging what was found: each signature against what the user trusts (keys, keyless
//! identities and the trust root behind them) and the digest it must bind, each
//! attestation's envelope likewise, and the image's status from them. Pure: the registry is
//! asked in `discover`.

use super::keyless;
use super::keys::TrustedKey;
use super::payload::{self, IN_TOTO_PAYLOAD_TYPE};
use super::trust::Trust;
use super::{Attestation, SignatureCheck, SignatureLayer, Status};
use base64::Engine;

/// A tampered payload and another key's signature fail the same way; the reason says so.
const NO_TRUSTED_KEY: &str = "no trusted key verifies it (another key signed it, or the payload was changed after signing: a verifier cannot tell which)";

/// Checks one signature layer found for `digest`.
pub fn signature(layer: &SignatureLayer, digest: &str, trust: &Trust) -> SignatureCheck {
    let claims = payload::claims(&layer.payload);
    let reference = claims
        .as_ref()
        .map(|c| c.docker_reference.clone())
        .unwrap_or_default();
    let mut check = SignatureCheck::unverified(digest, super::admission::Format::Legacy, "");
    check.docker_reference = reference;
    // Go's decoder, which cosign uses, skips line breaks: some signers wrap the base64.
    let compact: String = layer.signature.split_ascii_whitespace().collect();
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        check.reason = "its signature annotation is not base64".into();
        return check;
    };
    // Each key is tried once: every one that verifies is named (one key may be given under
    // several names: yours and a policy's).
    let verifying: Vec<&TrustedKey> = trust
        .keys
        .iter()
        .filter(|k| k.verifies(&layer.payload, &raw))
        .collect();
    let signer = if let Some(key) = verifying.first() {
        match key_log_proof(layer, key, trust) {
            Err(why) => {
                check.reason = format!("signed by {}, but {why}", key.name);
                return check;
            }
            Ok(proof) => {
                check.key = Some(key.name.clone());
                check.verified_by = verifying.iter().map(|k| k.name.clone()).collect();
                format!("{} ({}){proof}", key.name, key.kind())
            }
        }
    } else if layer.certificate.is_some() {
        match legacy_keyless(layer, trust) {
            Ok(trusted) => {
                check.identity = Some(trusted.who.clone());
                check.verified_by = trusted.names;
                trusted.who
            }
            Err(why) => {
                check.reason = why;
                return check;
            }
        }
    } else {
        check.reason = if trust.is_empty() {
            "nothing trusted was given (--key FILE, or --certificate-identity with --certificate-oidc-issuer)".into()
        } else {
            NO_TRUSTED_KEY.into()
        };
        return check;
    };
    (check.status, check.reason) = match claims {
        Err(e) => (Status::Invalid, format!("signed by {signer}, but {e}")),
        Ok(c) if c.digest != digest => (
            Status::Invalid,
            format!(
                "signed by {signer}, but for another image ({}): a signature copied from elsewhere",
                c.digest
            ),
        ),
        Ok(_) => (Status::Verified, format!("signed by {signer}")),
    };
    if check.status != Status::Verified {
        check.verified_by.clear();
    }
    check
}

/// A key-signed layer's Rekor proof, checked when it carries one: `Ok` with what it adds to
/// the reason, `Err` when the proof is there and does not hold (cosign then refuses too).
fn key_log_proof(
    layer: &SignatureLayer,
    key: &TrustedKey,
    trust: &Trust,
) -> Result<String, String> {
    let Some(bundle) = keyless::legacy_bundle(layer) else {
        return Ok("; no transparency-log proof with it (kaudit does not ask Rekor online)".into());
    };
    let Some(root) = &trust.root else {
        return Err("its transparency-log proof cannot be checked: no trust root was read".into());
    };
    let bundle = bundle?;
    keyless::verify_with_key(
        &bundle,
        layer.payload.as_slice().into(),
        key.spki_der().to_vec(),
        root,
    )?;
    Ok("; its Rekor entry verifies".into())
}

/// A legacy keyless (certificate) layer: the certificate, its SCT and the Rekor proof
/// verified against the trust root, then its subject matched with the trusted identities.
/// `Ok` with who signed; `Err` with why not.
fn legacy_keyless(layer: &SignatureLayer, trust: &Trust) -> Result<Trusted, String> {
    let Some(root) = &trust.root else {
        return Err("a keyless signature; no trust root was read to verify it".into());
    };
    let Some(bundle) = keyless::legacy_bundle(layer) else {
        return Err("a keyless signature without its Rekor bundle annotation: it can only be checked against the transparency log online, which kaudit does not ask".into());
    };
    let bundle = bundle.map_err(|e| format!("a keyless signature: {e}"))?;
    let signer = keyless::verify_certificate(&bundle, layer.payload.as_slice().into(), root)
        .map_err(|e| format!("a keyless signature that {e}"))?;
    trusted_identity(&signer, trust)
}

/// A keyless signer found trusted: who, and the name of every trusted identity it is (one
/// signer may be trusted by you and by a policy).
struct Trusted {
    who: String,
    names: Vec<String>,
}

/// Which trusted identities a verified signer is, else why not.
fn trusted_identity(signer: &keyless::Signer, trust: &Trust) -> Result<Trusted, String> {
    let names: Vec<String> = trust
        .identities
        .iter()
        .filter(|i| i.matches(&signer.sans, &signer.issuer))
        .map(|i| i.name())
        .collect();
    match names.first() {
        Some(first) => Ok(Trusted {
            who: format!("{} (keyless, as {first})", signer.describe()),
            names,
        }),
        None if trust.identities.is_empty() => Err(format!(
            "keyless, signed by {}: it verifies against the trust root, but no identity is trusted (--certificate-identity with --certificate-oidc-issuer)",
            signer.describe()
        )),
        None => Err(format!(
            "keyless, signed by {}: it verifies against the trust root, but that is not an identity you trust",
            signer.describe()
        )),
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
    signed_statement(envelope, digest, keys).map(|(a, _)| a)
}

/// [`attestation`], and the name of every trusted key that signed the envelope (each key
/// tried once: a bundle's signature check reads them from here).
fn signed_statement(
    envelope: &[u8],
    digest: &str,
    keys: &[TrustedKey],
) -> Option<(Attestation, Vec<String>)> {
    let envelope = payload::envelope(envelope).ok()?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return None;
    }
    let statement = payload::statement(&envelope.payload).ok()?;
    let signed = payload::pae(&envelope.payload_type, &envelope.payload);
    let signers: Vec<String> = keys
        .iter()
        .filter(|k| envelope.signatures.iter().any(|s| k.verifies(&signed, s)))
        .map(|k| k.name.clone())
        .collect();
    let about_this = statement.subjects.iter().any(|s| s == digest);
    let reason = match (signers.first(), about_this) {
        (Some(k), true) => format!("signed by {k}"),
        (Some(k), false) => format!(
            "signed by {k}, but its subject is another image ({})",
            statement.subjects.join(", ")
        ),
        (None, _) => NO_TRUSTED_KEY.to_string(),
    };
    let attestation = Attestation {
        digest: digest.to_string(),
        kind: payload::predicate_kind(&statement.predicate_type),
        key: signers.first().filter(|_| about_this).cloned(),
        statement,
        reason,
    };
    Some((attestation, signers))
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
/// attestation. Signed with a key, it is verified with the trusted keys; signed with a
/// certificate, against the trust root and the trusted identities. `None` for a bundle that
/// is neither.
pub fn bundle(bytes: &[u8], digest: &str, trust: &Trust) -> Option<Found> {
    let text = std::str::from_utf8(bytes).ok()?;
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let media_type = value.get("mediaType")?.as_str()?;
    if !media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return None;
    }
    let envelope = serde_json::to_vec(value.get("dsseEnvelope")?).ok()?;
    let (mut found, verified_by) = signed_statement(&envelope, digest, &trust.keys)?;
    let bound = found.statement.subjects.iter().any(|s| s == digest);
    let keyless = certificate_signer(text, &found.statement.subjects, digest, trust);
    if let Some(signer) = &keyless {
        (found.key, found.reason) = match signer {
            Ok(t) if bound => (Some(t.who.clone()), format!("signed by {}", t.who)),
            Ok(t) => (
                None,
                format!(
                    "signed by {}, but its subject is another image ({})",
                    t.who,
                    found.statement.subjects.join(", ")
                ),
            ),
            Err(why) => (None, why.clone()),
        };
    }
    if found.statement.predicate_type != COSIGN_SIGN_PREDICATE {
        return Some(Found::Attestation(found));
    }
    let mut check = SignatureCheck::unverified(digest, super::admission::Format::Bundle, "");
    match keyless {
        Some(Ok(trusted)) => {
            check.identity = Some(trusted.who);
            (check.status, check.reason) = if bound {
                check.verified_by = trusted.names;
                (
                    Status::Verified,
                    format!("{} (Sigstore bundle)", found.reason),
                )
            } else {
                (Status::Invalid, found.reason)
            };
        }
        Some(Err(why)) => check.reason = format!("a Sigstore bundle: {why}"),
        None => {
            (check.status, check.reason) = match (verified_by.first(), bound) {
                (Some(k), true) => (Status::Verified, format!("signed by {k} (Sigstore bundle)")),
                (Some(_), false) => (Status::Invalid, found.reason),
                (None, _) => (
                    Status::Unverified,
                    format!("a Sigstore bundle: {NO_TRUSTED_KEY}"),
                ),
            };
            if check.status == Status::Verified {
                check.key = verified_by.first().cloned();
                check.verified_by = verified_by;
            }
        }
    }
    Some(Found::Signature(check))
}

/// A bundle signed with a certificate: who signed, verified against the trust root for the
/// subject that is `digest` (else the first), and matched with the trusted identities.
/// `None` when the bundle is signed with a key.
fn certificate_signer(
    json: &str,
    subjects: &[String],
    digest: &str,
    trust: &Trust,
) -> Option<Result<Trusted, String>> {
    let bundle = match keyless::parse_bundle(json) {
        Ok(b) if keyless::has_certificate(&b) => b,
        Ok(_) => return None,
        Err(e) => return Some(Err(e)),
    };
    let Some(root) = &trust.root else {
        return Some(Err("keyless; no trust root was read to verify it".into()));
    };
    let subject = subjects
        .iter()
        .find(|s| *s == digest)
        .or(subjects.first())
        .and_then(|s| s.strip_prefix("sha256:"))
        .and_then(|hex| sigstore_types::Sha256Hash::from_hex(hex).ok());
    let Some(subject) = subject else {
        return Some(Err("its statement names no SHA-256 subject".into()));
    };
    Some(
        keyless::verify_certificate(&bundle, subject.into(), root)
            .map_err(|e| format!("keyless, and it {e}"))
            .and_then(|signer| trusted_identity(&signer, trust)),
    )
}
