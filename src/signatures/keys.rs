//! The public keys a user trusts (`--key FILE`): PEM `PUBLIC KEY` files as `cosign
//! generate-key-pair` and KMS exports write them: ECDSA P-256 and P-384, RSA, Ed25519.

use p256::pkcs8::DecodePublicKey;
use std::path::Path;

/// A key file is a few hundred bytes; anything much bigger is not one.
const MAX_KEY_BYTES: u64 = 64 << 10;

/// One trusted key and the name the user knows it by (its file name).
#[derive(Debug, Clone)]
pub struct TrustedKey {
    pub name: String,
    key: Key,
    /// The key as DER SubjectPublicKeyInfo, for the transparency-log verifier.
    spki: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl TrustedKey {
    /// Reads a PEM public key; a clear error for anything else (a private key, a
    /// certificate, a curve cosign does not sign with).
    pub fn load(path: &Path) -> Result<TrustedKey, String> {
        let text = super::read_small_file(path, MAX_KEY_BYTES, "a public key")?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        Self::from_pem(&name, &text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A key from PEM text.
    pub fn from_pem(name: &str, pem: &str) -> Result<TrustedKey, String> {
        if pem.contains("PRIVATE KEY-----") {
            return Err("a private key; give the public key (cosign.pub)".into());
        }
        if !pem.contains("-----BEGIN PUBLIC KEY-----") {
            return Err("not a PEM public key (-----BEGIN PUBLIC KEY-----)".into());
        }
        let key = if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            Key::P256(k)
        } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            Key::P384(k)
        } else if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            Key::Ed25519(k)
        } else if let Ok(k) = rsa::RsaPublicKey::from_public_key_pem(pem) {
            Key::Rsa(Box::new(k))
        } else {
            return Err(
                "a public key of a kind cosign does not verify with (ECDSA P-256/P-384, RSA, Ed25519)"
                    .into(),
            );
        };
        let spki = pem_body(pem).ok_or("its PEM body is not base64")?;
        Ok(TrustedKey {
            name: name.to_string(),
            key,
            spki,
        })
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// `ECDSA P-256`, `RSA 4096`...
    pub fn kind(&self) -> String {
        match &self.key {
            Key::P256(_) => "ECDSA P-256".into(),
            Key::P384(_) => "ECDSA P-384".into(),
            Key::Rsa(k) => format!("RSA {}", rsa::traits::PublicKeyParts::size(k.as_ref()) * 8),
            Key::Ed25519(_) => "Ed25519".into(),
        }
    }

    /// Whether `signature` is this key's over `message`, as cosign signs: ECDSA (ASN.1 DER)
    /// over SHA-256 (P-384 also SHA-384), RSA PKCS#1 v1.5 over SHA-256, Ed25519 over the
    /// message itself or (cosign's Ed25519ph) its SHA-512.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        use sha2::Digest;
        match &self.key {
            Key::P256(k) => p256::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            Key::P384(k) => {
                let Ok(s) = p384::ecdsa::DerSignature::from_bytes(signature) else {
                    return false;
                };
                // P-384 keys sign SHA-256 digests in cosign's legacy path, SHA-384 since.
                let sha256 = sha2::Sha256::digest(message);
                k.verify(message, &s).is_ok()
                    || p384::ecdsa::signature::hazmat::PrehashVerifier::verify_prehash(
                        k, &sha256, &s,
                    )
                    .is_ok()
            }
            Key::Rsa(k) => {
                let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(k.as_ref().clone());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|s| verifier.verify(message, &s).is_ok())
            }
            Key::Ed25519(k) => {
                let Ok(s) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                let mut prehashed = sha2::Sha512::new();
                prehashed.update(message);
                k.verify_strict(message, &s).is_ok()
                    || k.verify_prehashed_strict(prehashed, None, &s).is_ok()
            }
        }
    }
}

/// The DER inside the first `PUBLIC KEY` block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let (_, rest) = pem.split_once("-----BEGIN PUBLIC KEY-----")?;
    let (body, _) = rest.split_once("-----END PUBLIC KEY-----")?;
    let body: String = body.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_that_are_not_public_keys_are_refused_clearly() {
        let private =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        assert!(
            TrustedKey::from_pem("k", private)
                .unwrap_err()
                .contains("private key")
        );
        assert!(
            TrustedKey::from_pem("k", "hello")
                .unwrap_err()
                .contains("not a PEM public key")
        );
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(TrustedKey::from_pem("k", garbage).is_err());
    }

    #[test]
    fn a_p256_signature_verifies_only_over_its_own_message() {
        use p256::ecdsa::signature::Signer;
        use p256::pkcs8::EncodePublicKey;
        let signing = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pem = signing
            .verifying_key()
            .to_public_key_pem(Default::default())
            .unwrap();
        let key = TrustedKey::from_pem("test.pub", &pem).unwrap();
        assert_eq!(key.kind(), "ECDSA P-256");
        let signature: p256::ecdsa::DerSignature = signing.sign(b"payload");
        assert!(key.verifies(b"payload", signature.as_bytes()));
        assert!(!key.verifies(b"payload!", signature.as_bytes()));
        assert!(!key.verifies(b"payload", b"not a signature"));
    }
}
