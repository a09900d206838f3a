//! Image signatures: cosign's signatures and attestations found next to an image in its
//! registry, verified offline with the keys the user trusts. A verdict per image says
//! whether it is signed, by which key, and why not when it is not.

pub mod admission;
pub mod discover;
pub mod facts;
pub mod judge;
pub mod keyless;
pub mod keys;
pub mod material;
pub mod payload;
pub mod trust;

/// Reads a small text file (a key, a trust root) whole, refusing one over `max` bytes:
/// `what` names what it should have been.
pub(crate) fn read_small_file(
    path: &std::path::Path,
    max: u64,
    what: &str,
) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if text.len() as u64 > max {
        return Err(format!("{}: too large for {what}", path.display()));
    }
    Ok(text)
}

/// An image's signature status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A trusted key's signature binds this very digest.
    Verified,
    /// Signatures exist; none verifies with the trusted keys.
    Unverified,
    /// A trusted key signed, but another digest or a malformed payload.
    Invalid,
    /// No signature at all.
    Unsigned,
    /// The registry could not be asked: nothing is known (never "unsigned").
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Unverified => "unverified",
            Status::Invalid => "invalid",
            Status::Unsigned => "unsigned",
            Status::Error => "error",
        }
    }
}

/// One signature layer as the registry holds it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SignatureLayer {
    /// The SimpleSigning payload: the exact bytes signed.
    #[serde(with = "material::b64")]
    pub payload: Vec<u8>,
    /// `dev.cosignproject.cosign/signature`, base64.
    pub signature: String,
    /// `dev.sigstore.cosign/certificate`: a keyless (Fulcio) or PKI signature.
    pub certificate: Option<String>,
    /// `dev.sigstore.cosign/chain`: the certificate's intermediates and root (PEM).
    pub chain: Option<String>,
    /// `dev.sigstore.cosign/bundle`: the transparency log's promise (Rekor's SET and entry).
    pub rekor_bundle: Option<String>,
}

/// What one signature is, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignatureCheck {
    /// Which digest it was found for (the index's or the platform image's).
    pub digest: String,
    /// The trusted key that verifies it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The keyless signer that verifies it: the certificate's subject and issuer, and the
    /// trusted identity they match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Every trusted key that verifies it (one key may be given under several names: yours
    /// and a policy's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verified_by: Vec<String>,
    pub status: Status,
    /// How it is stored: a cosign `.sig` layer, a Sigstore bundle referrer, a Notary
    /// signature. A policy's verifier reads one of them.
    pub format: admission::Format,
    pub reason: String,
    /// The payload's `docker-reference`, when readable.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_reference: String,
}

impl SignatureCheck {
    /// A signature nothing trusted verifies (yet), with why.
    pub fn unverified(digest: &str, format: admission::Format, reason: &str) -> SignatureCheck {
        SignatureCheck {
            digest: digest.to_string(),
            key: None,
            identity: None,
            verified_by: Vec::new(),
            status: Status::Unverified,
            format,
            reason: reason.to_string(),
            docker_reference: String::new(),
        }
    }
}

/// One attestation: what it states, and whether a trusted key signed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attestation {
    pub digest: String,
    /// `SLSA provenance`, `SPDX SBOM`...
    pub kind: &'static str,
    #[serde(flatten)]
    pub statement: payload::Statement,
    /// The trusted key (or keyless identity) that verifies its envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub reason: String,
}

/// The verdict on one image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub image: String,
    /// The digest the reference resolves to (an index's for a multi-platform image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The platform image's digest, when the reference is an index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_digest: Option<String>,
    pub status: Status,
    /// Why, in a sentence (which key, which digest is signed, what went wrong).
    pub reason: String,
    pub signatures: Vec<SignatureCheck>,
    pub attestations: Vec<Attestation>,
    /// What does not fail verification but deserves a look (a `docker-reference` naming
    /// another repository).
    pub warnings: Vec<String>,
}

impl Verdict {
    /// Nothing could be asked: the image's status is `error`, with why.
    pub fn error(image: &str, reason: String) -> Verdict {
        Verdict {
            image: image.to_string(),
            digest: None,
            platform_digest: None,
            status: Status::Error,
            reason,
            signatures: Vec::new(),
            attestations: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// How a signature format is named to people (`Format` serializes as `legacy`...).
pub fn format_label(format: admission::Format) -> &'static str {
    match format {
        admission::Format::Legacy => "cosign .sig",
        admission::Format::Bundle => "Sigstore bundle",
        admission::Format::Notary => "Notary",
        admission::Format::LegacyOrBundle => "cosign (.sig or bundle)",
    }
}

impl SignatureCheck {
    /// `cosign .sig by <key>: verified (signed by ...)`: what a reader needs to trust or
    /// chase it, in one line; without the reason where the verdict already says it.
    pub fn describe(&self, verdict_reason: &str) -> String {
        let by = match (&self.key, self.verified_by.len(), &self.identity) {
            (Some(key), n, _) if n > 1 => format!(" by {key} (and {} more names)", n - 1),
            (Some(key), _, _) => format!(" by {key}"),
            (None, _, Some(identity)) => format!(" by {identity}"),
            (None, _, None) => String::new(),
        };
        let mut out = format!(
            "{}{by}: {}",
            format_label(self.format),
            self.status.as_str()
        );
        if self.reason != verdict_reason {
            out.push_str(&format!(" ({})", self.reason));
        }
        out
    }
}

impl Attestation {
    /// `SLSA provenance, built by <builder> from <source>: signed by <key>`.
    pub fn describe(&self) -> String {
        let mut out = self.kind.to_string();
        if !self.statement.builder_id.is_empty() {
            out.push_str(&format!(", built by {}", self.statement.builder_id));
        }
        if !self.statement.source.is_empty() {
            out.push_str(&format!(" from {}", self.statement.source));
        }
        format!("{out}: {}", self.reason)
    }

    /// The kind in a word for narrow places: `provenance`, `SBOM`, `vuln scan`.
    pub fn short_kind(&self) -> &'static str {
        match self.kind {
            "SLSA provenance" => "provenance",
            k if k.ends_with("SBOM") => "SBOM",
            "vulnerability scan" => "vuln scan",
            _ => "other",
        }
    }
}

impl Verdict {
    /// The attestations' kinds, each once (`provenance+SBOM`); `-` when there are none.
    pub fn attestation_kinds(&self) -> String {
        let mut kinds: Vec<&str> = Vec::new();
        for a in &self.attestations {
            if !kinds.contains(&a.short_kind()) {
                kinds.push(a.short_kind());
            }
        }
        if kinds.is_empty() {
            "-".into()
        } else {
            kinds.join("+")
        }
    }
}
