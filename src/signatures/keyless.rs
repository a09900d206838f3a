//! Keyless (Fulcio) signatures and Rekor proofs, verified offline against a Sigstore trust
//! root (`trusted_root.json`) with sigstore-rust's verifier (`sigstore-verify`): the
//! certificate chains to a Fulcio CA and was valid when the log recorded the signature, its
//! SCT verifies with a CT log key, the transparency-log promise (SET) or inclusion proof
//! verifies with a Rekor key, the log entry describes this very signature, and the signature
//! verifies with the certificate's key. Who the certificate names is then matched against
//! the identities the user trusts (`trust::Identity`), over every SAN as cosign does.
//!
//! Chosen over sigstore-rs (`sigstore`): the verifier alone is ~70 crates with no TUF,
//! OAuth or registry code, and takes a trust root as a value, so nothing here can reach
//! the network. A legacy cosign `.sig` layer (certificate, chain and Rekor bundle in
//! annotations) is rewritten as the v0.1 bundle it is equivalent to and verified the same way.

use super::SignatureLayer;
use base64::Engine;
use serde_json::json;
use sigstore_trust_root::TrustedRoot;
use sigstore_types::Bundle;
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};
use std::path::Path;

/// A trusted_root.json is tens of kilobytes.
const MAX_TRUSTED_ROOT_BYTES: u64 = 4 << 20;
/// SANs read from one certificate, and certificates read from one chain annotation.
const MAX_SANS: usize = 64;

/// Fulcio CAs, Rekor and CT log keys and timestamp authorities, ready to verify with.
pub struct TrustRoot {
    /// Where it came from, for reasons: "Sigstore's public-good root" or the file.
    pub name: String,
    verifier: Verifier,
}

impl std::fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRoot")
            .field("name", &self.name)
            .finish()
    }
}

impl TrustRoot {
    /// The public-good instance's root as sigstore-trust-root 0.15.1 ships it.
    pub fn embedded() -> Result<TrustRoot, String> {
        Self::parse(
            "Sigstore's public-good trust root (embedded)",
            sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT,
        )
    }

    /// The root the user chose (`--trusted-root FILE`), else the embedded one.
    pub fn chosen(path: Option<&Path>) -> Result<TrustRoot, String> {
        match path {
            Some(path) => Self::load(path),
            None => Self::embedded(),
        }
    }

    /// `--trusted-root FILE`: a private Sigstore instance's, or a newer public one.
    pub fn load(path: &Path) -> Result<TrustRoot, String> {
        let text = super::read_small_file(path, MAX_TRUSTED_ROOT_BYTES, "a trusted_root.json")?;
        Self::parse(&path.display().to_string(), &text)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(name: &str, json: &str) -> Result<TrustRoot, String> {
        let root = TrustedRoot::from_json(json)
            .map_err(|e| format!("not a Sigstore trusted_root.json: {e}"))?;
        let verifier = Verifier::new(&root).map_err(|e| format!("unusable trust root: {e}"))?;
        Ok(TrustRoot {
            name: name.to_string(),
            verifier,
        })
    }
}

/// Who a verified certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Every subject alternative name (email, URI, DNS name, IP address), in order.
    pub sans: Vec<String>,
    /// The OIDC issuer that vouched for the subject (Fulcio's extension), "" when absent.
    pub issuer: String,
}

impl Signer {
    pub fn describe(&self) -> String {
        let who = self.sans.first().map_or("(no subject)", String::as_str);
        if self.issuer.is_empty() {
            who.to_string()
        } else {
            format!("{who} from {}", self.issuer)
        }
    }
}

/// Parses a bundle's JSON; `Err` with why for a malformed one.
pub fn parse_bundle(json: &str) -> Result<Bundle, String> {
    Bundle::from_json(json).map_err(|e| format!("a malformed Sigstore bundle: {e}"))
}

/// Verifies a bundle signed with a certificate over `artifact` (the signed bytes, or for a
/// DSSE bundle the digest its statement names): everything but who the signer is.
pub fn verify_certificate(
    bundle: &Bundle,
    artifact: sigstore_types::Artifact<'_>,
    root: &TrustRoot,
) -> Result<Signer, String> {
    let leaf = leaf_certificate(bundle).ok_or("the bundle carries no certificate")?;
    let verified = root
        .verifier
        .verify(artifact, bundle, &VerificationPolicy::any_identity())
        .map_err(|e| format!("does not verify against {}: {e}", root.name))?;
    // The verifier reads Fulcio's issuer extension; the SANs are all read here, since it
    // keeps only the first and cosign compares every one.
    Ok(Signer {
        sans: subject_alt_names(leaf),
        issuer: verified.issuer().unwrap_or_default().to_string(),
    })
}

/// Verifies a bundle signed with a key (`public_key_der`: SPKI) including its
/// transparency-log proof against `root`'s Rekor keys.
pub fn verify_with_key(
    bundle: &Bundle,
    artifact: sigstore_types::Artifact<'_>,
    public_key_der: Vec<u8>,
    root: &TrustRoot,
) -> Result<(), String> {
    let policy =
        PublicKeyVerificationPolicy::new(sigstore_types::DerPublicKey::new(public_key_der));
    root.verifier
        .verify(artifact, bundle, &policy)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "its transparency-log proof does not verify against {}: {e}",
                root.name
            )
        })
}

/// The v0.1 bundle a legacy cosign signature layer amounts to: its signature over the
/// payload, its certificate and chain (keyless) or a public-key hint (key-signed), and its
/// Rekor entry with the signed entry timestamp. `None` when the layer has no Rekor bundle
/// annotation (nothing to prove log inclusion offline).
pub fn legacy_bundle(layer: &SignatureLayer) -> Option<Result<Bundle, String>> {
    let rekor = layer.rekor_bundle.as_deref()?;
    Some(legacy_bundle_json(layer, rekor).and_then(|j| parse_bundle(&j.to_string())))
}

fn legacy_bundle_json(layer: &SignatureLayer, rekor: &str) -> Result<serde_json::Value, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let rekor: serde_json::Value =
        serde_json::from_str(rekor).map_err(|e| format!("its Rekor bundle is not JSON: {e}"))?;
    let text = |pointer: &str| rekor.pointer(pointer).and_then(|v| v.as_str());
    let number = |pointer: &str| rekor.pointer(pointer).and_then(|v| v.as_i64());
    let (Some(set), Some(body), Some(time), Some(index), Some(log_id)) = (
        text("/SignedEntryTimestamp"),
        text("/Payload/body"),
        number("/Payload/integratedTime"),
        number("/Payload/logIndex"),
        text("/Payload/logID"),
    ) else {
        return Err(
            "its Rekor bundle lacks the entry timestamp, body, time, index or log id".into(),
        );
    };
    let entry: serde_json::Value = b64
        .decode(body)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("its Rekor entry body is not base64 JSON")?;
    let (Some(kind), Some(version)) = (
        entry.get("kind").and_then(|v| v.as_str()),
        entry.get("apiVersion").and_then(|v| v.as_str()),
    ) else {
        return Err("its Rekor entry has no kind or apiVersion".into());
    };
    let log_id = hex_decode(log_id).ok_or("its Rekor log id is not hex")?;
    let mut material = match &layer.certificate {
        Some(pem) => {
            let mut certificates = Vec::new();
            for der in pem_certificates(pem).into_iter().chain(
                layer
                    .chain
                    .as_deref()
                    .map(pem_certificates)
                    .unwrap_or_default(),
            ) {
                certificates.push(json!({ "rawBytes": b64.encode(der) }));
            }
            if certificates.is_empty() {
                return Err("its certificate annotation holds no PEM certificate".into());
            }
            json!({ "x509CertificateChain": { "certificates": certificates } })
        }
        None => json!({ "publicKey": { "hint": "" } }),
    };
    material["tlogEntries"] = json!([{
        "logIndex": index.to_string(),
        "logId": { "keyId": b64.encode(log_id) },
        "kindVersion": { "kind": kind, "version": version },
        "integratedTime": time.to_string(),
        "inclusionPromise": { "signedEntryTimestamp": set },
        "canonicalizedBody": body,
    }]);
    use sha2::Digest;
    Ok(json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": b64.encode(sha2::Sha256::digest(&layer.payload)),
            },
            "signature": layer.signature.split_ascii_whitespace().collect::<String>(),
        },
    }))
}

/// The DER of each `CERTIFICATE` block of a PEM text (a chain annotation holds several).
fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(end) = after.find(END) else { break };
        let body: String = after[..end].split_whitespace().collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(der);
        }
        rest = &after[end + END.len()..];
        if out.len() >= MAX_SANS {
            break;
        }
    }
    out
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn leaf_certificate(bundle: &Bundle) -> Option<&[u8]> {
    use sigstore_types::bundle::VerificationMaterialContent as Content;
    match &bundle.verification_material.content {
        Content::Certificate(c) => Some(c.raw_bytes.as_bytes()),
        Content::X509CertificateChain { certificates } => {
            certificates.first().map(|c| c.raw_bytes.as_bytes())
        }
        _ => None,
    }
}

/// Whether a bundle is signed with a certificate (keyless or a private PKI) rather than a key.
pub fn has_certificate(bundle: &Bundle) -> bool {
    leaf_certificate(bundle).is_some()
}

/// Every SAN of a DER certificate, as cosign compares `--certificate-identity` with them.
fn subject_alt_names(der: &[u8]) -> Vec<String> {
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if ext.extn_id != const_oid_san() {
            continue;
        }
        let Ok(names) = SubjectAltName::from_der(ext.extn_value.as_bytes()) else {
            continue;
        };
        for name in names.0.iter().take(MAX_SANS) {
            match name {
                GeneralName::Rfc822Name(s) => out.push(s.to_string()),
                GeneralName::DnsName(s) => out.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => out.push(s.to_string()),
                GeneralName::IpAddress(ip) => {
                    if let Some(addr) = ip_text(ip.as_bytes()) {
                        out.push(addr)
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn const_oid_san() -> x509_cert::der::oid::ObjectIdentifier {
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("2.5.29.17")
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_root_is_usable() {
        let root = TrustRoot::embedded().unwrap();
        assert!(root.name.contains("embedded"));
    }

    #[test]
    fn hostile_trust_roots_and_bundles_are_errors() {
        assert!(TrustRoot::parse("x", "{").is_err());
        assert!(TrustRoot::parse("x", "[]").is_err());
        assert!(parse_bundle("{\"mediaType\":\"nope\"}").is_err());
        let layer = SignatureLayer {
            payload: b"{}".to_vec(),
            signature: "AAAA".into(),
            rekor_bundle: Some("{\"Payload\":{}}".into()),
            ..Default::default()
        };
        assert!(legacy_bundle(&layer).unwrap().is_err());
        assert!(
            legacy_bundle(&SignatureLayer::default()).is_none(),
            "no Rekor bundle: nothing to build"
        );
    }

    #[test]
    fn pem_chains_and_hex_are_read_strictly() {
        let pem = "junk-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAwQ=\n-----END CERTIFICATE-----";
        assert_eq!(pem_certificates(pem), vec![vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(hex_decode("c0d2"), Some(vec![0xc0, 0xd2]));
        assert_eq!(hex_decode("c0d"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(ip_text(&[10, 0, 0, 1]).as_deref(), Some("10.0.0.1"));
    }
}
