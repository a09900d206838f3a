//! What cosign signs: the SimpleSigning payload of a `.sig` layer, and the DSSE envelope
//! of an attestation (`.att`) with its in-toto statement. Always read from the exact bytes
//! that were signed; never re-serialized.

use base64::Engine;
use serde_json::Value;

/// The only `critical.type` cosign writes and accepts.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// DSSE's payload type for in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The claims of a SimpleSigning payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `critical.image.docker-manifest-digest`: the only binding to the image.
    pub digest: String,
    /// `critical.identity.docker-reference` (cosign does not check it; shown, and a
    /// mismatch is a warning).
    pub docker_reference: String,
}

/// The claims of a payload; an error saying what is wrong with a malformed one.
pub fn claims(payload: &[u8]) -> Result<Claims, String> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| format!("the payload is not JSON ({e})"))?;
    let critical = value
        .get("critical")
        .ok_or("the payload has no `critical` section")?;
    let kind = critical.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != SIMPLE_SIGNING_TYPE {
        return Err(format!(
            "the payload's type is {kind:?}, not {SIMPLE_SIGNING_TYPE:?}"
        ));
    }
    let digest = critical
        .pointer("/image/docker-manifest-digest")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .ok_or("the payload names no image digest")?;
    Ok(Claims {
        digest: digest.to_string(),
        docker_reference: critical
            .pointer("/identity/docker-reference")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    })
}

/// A DSSE envelope: its payload and signatures, decoded.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Vec<u8>>,
}

/// Reads a DSSE envelope (`{"payloadType","payload","signatures":[{"sig"}]}`).
pub fn envelope(bytes: &[u8]) -> Result<Envelope, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the envelope is not JSON ({e})"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = value
        .get("payload")
        .and_then(Value::as_str)
        .and_then(|p| b64.decode(p).ok())
        .ok_or("the envelope has no base64 payload")?;
    let signatures = value
        .get("signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("sig").and_then(Value::as_str))
        .filter_map(|s| b64.decode(s).ok())
        .collect();
    Ok(Envelope {
        payload_type: value
            .get("payloadType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        payload,
        signatures,
    })
}

/// DSSE's pre-authentication encoding: what an envelope's signatures are over.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// What an in-toto statement says: its predicate, its subjects' SHA-256 digests, and for
/// SLSA provenance the builder and the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub predicate_type: String,
    #[serde(skip)]
    pub subjects: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub builder_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Reads an in-toto statement (v0.1 or v1; SLSA provenance v0.2 or v1).
pub fn statement(bytes: &[u8]) -> Result<Statement, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the statement is not JSON ({e})"))?;
    let text = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let first = |pointers: &[&str]| {
        pointers
            .iter()
            .map(|p| text(p))
            .find(|s| !s.is_empty())
            .unwrap_or_default()
    };
    let subjects = value
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.pointer("/digest/sha256").and_then(Value::as_str))
        .map(|hex| format!("sha256:{hex}"))
        .collect();
    Ok(Statement {
        predicate_type: text("/predicateType"),
        subjects,
        builder_id: first(&["/predicate/runDetails/builder/id", "/predicate/builder/id"]),
        source: first(&[
            "/predicate/buildDefinition/externalParameters/workflow/repository",
            "/predicate/invocation/configSource/uri",
            "/predicate/buildDefinition/resolvedDependencies/0/uri",
            "/predicate/materials/0/uri",
        ]),
    })
}

/// How a predicate type reads to a person.
pub fn predicate_kind(predicate_type: &str) -> &'static str {
    match predicate_type {
        t if t.starts_with("https://slsa.dev/provenance/") => "SLSA provenance",
        t if t.starts_with("https://spdx.dev/Document") => "SPDX SBOM",
        t if t.starts_with("https://cyclonedx.org/bom") => "CycloneDX SBOM",
        t if t.starts_with("https://cosign.sigstore.dev/attestation/vuln/") => "vulnerability scan",
        "https://sigstore.dev/cosign/sign/v1" => "cosign signature",
        _ => "attestation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        assert!(claims(b"{").unwrap_err().contains("not JSON"));
        assert!(claims(b"{}").unwrap_err().contains("no `critical`"));
        let other = br#"{"critical":{"type":"x","image":{"docker-manifest-digest":"sha256:a"}}}"#;
        assert!(claims(other).unwrap_err().contains("type"));
        let no_digest = br#"{"critical":{"type":"cosign container image signature","image":{}}}"#;
        assert!(claims(no_digest).unwrap_err().contains("no image digest"));
    }

    #[test]
    fn slsa_provenance_names_its_builder_and_source() {
        let v1 = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"ab"}}],
            "predicateType":"https://slsa.dev/provenance/v1",
            "predicate":{"buildDefinition":{"externalParameters":{"workflow":{"repository":"https://github.com/acme/web"}}},
                          "runDetails":{"builder":{"id":"https://github.com/actions/runner"}}}}"#;
        let s = statement(v1).unwrap();
        assert_eq!(s.subjects, ["sha256:ab"]);
        assert_eq!(s.builder_id, "https://github.com/actions/runner");
        assert_eq!(s.source, "https://github.com/acme/web");
        assert_eq!(predicate_kind(&s.predicate_type), "SLSA provenance");
        assert_eq!(pae("t", b"ab"), b"DSSEv1 1 t 2 ab");
    }
}
