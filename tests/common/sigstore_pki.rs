//! A Sigstore instance of the test's own, so keyless verification is tested on a fresh
//! clone: a Fulcio-like CA, a CT log and a Rekor log (fresh P-256 keys each), the
//! `trusted_root.json` naming them, and cosign's legacy keyless signature layer made the way
//! cosign and Fulcio make it: a leaf certificate for an email identity with the OIDC issuer
//! extension and an embedded SCT over its precertificate, the signature over the payload with
//! the leaf's key, and Rekor's signed entry timestamp over a `hashedrekord` entry.

#![allow(dead_code)]

use base64::Engine;
use rcgen::{PublicKeyData, SigningKey};
use serde_json::json;
use sha2::Digest;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub struct Pki {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    ct: rcgen::KeyPair,
    rekor: rcgen::KeyPair,
}

/// What cosign puts on a `.sig` layer for a keyless signature.
#[derive(Clone)]
pub struct KeylessLayer {
    pub payload: Vec<u8>,
    pub signature: String,
    pub certificate: String,
    pub chain: String,
    pub rekor_bundle: String,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn log_json(key: &rcgen::KeyPair) -> serde_json::Value {
    let spki = key.subject_public_key_info();
    json!({
        "baseUrl": "https://log.test",
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": B64.encode(&spki),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        },
        "logId": {"keyId": B64.encode(sha256(&spki))}
    })
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} fulcio"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        Pki {
            ca: rcgen::CertifiedIssuer::self_signed(params, key()).unwrap(),
            ct: key(),
            rekor: key(),
        }
    }

    /// The `trusted_root.json` of this instance.
    pub fn trusted_root(&self) -> String {
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log_json(&self.rekor)],
            "certificateAuthorities": [{
                "subject": {"organization": "kaudit tests", "commonName": "test fulcio"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [{"rawBytes": B64.encode(self.ca.as_ref().der())}]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            }],
            "ctlogs": [log_json(&self.ct)],
            "timestampAuthorities": []
        })
        .to_string()
    }

    /// A leaf certificate for `email` vouched for by `issuer`, with an SCT from this CT log.
    fn leaf(&self, signer: &rcgen::KeyPair, email: &str, issuer: &str) -> rcgen::Certificate {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = vec![rcgen::SanType::Rfc822Name(
            email.to_string().try_into().unwrap(),
        )];
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::CodeSigning];
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x42, 0x17]));
        params.use_authority_key_identifier_extension = true;
        // Fulcio's OIDC issuer (v2): a DER UTF8String.
        let mut utf8 = vec![0x0c, issuer.len() as u8];
        utf8.extend_from_slice(issuer.as_bytes());
        params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
            utf8,
        )];
        // The precertificate: the same certificate without its SCT; the CT log signs its TBS.
        let precert = params.signed_by(signer, &self.ca).unwrap();
        let tbs = tbs_of(precert.der());
        let sct = self.sct(&tbs);
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                der_octet_string(&sct),
            ));
        params.signed_by(signer, &self.ca).unwrap()
    }

    /// A TLS-encoded SignedCertificateTimestampList with one SCT over `tbs` (RFC 6962).
    fn sct(&self, tbs: &[u8]) -> Vec<u8> {
        let timestamp = (jiff::Timestamp::now().as_millisecond() - 120_000) as u64;
        let issuer_key_hash = sha256(&self.ca.key().subject_public_key_info());
        let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(tbs);
        signed.extend_from_slice(&0u16.to_be_bytes()); // no extensions
        let signature = self.ct.sign(&signed).unwrap();
        let mut sct = vec![0u8];
        sct.extend_from_slice(&sha256(&self.ct.subject_public_key_info()));
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        list
    }

    /// cosign's keyless `.sig` layer over `payload`, signed as `email` from `issuer`.
    pub fn sign(&self, payload: &[u8], email: &str, issuer: &str) -> KeylessLayer {
        self.sign_logged_by(payload, email, issuer, &self.rekor)
    }

    /// The same, its Rekor entry promised by `log` (another log's key: an impostor).
    pub fn sign_logged_by(
        &self,
        payload: &[u8],
        email: &str,
        issuer: &str,
        log: &rcgen::KeyPair,
    ) -> KeylessLayer {
        let signer = key();
        let leaf = self.leaf(&signer, email, issuer);
        let signature = B64.encode(signer.sign(payload).unwrap());
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(payload))}},
                "signature": {
                    "content": signature,
                    "publicKey": {"content": B64.encode(leaf.pem())}
                }
            }
        });
        let body = B64.encode(body.to_string());
        let integrated = jiff::Timestamp::now().as_second() - 60;
        let log_id = hex(&sha256(&self.rekor.subject_public_key_info()));
        // Keys in order and compact: the canonical JSON Rekor signs.
        let promise = format!(
            r#"{{"body":"{body}","integratedTime":{integrated},"logID":"{log_id}","logIndex":7}}"#
        );
        let set = B64.encode(log.sign(promise.as_bytes()).unwrap());
        KeylessLayer {
            payload: payload.to_vec(),
            signature,
            certificate: leaf.pem(),
            chain: self.ca.as_ref().pem(),
            rekor_bundle: json!({
                "SignedEntryTimestamp": set,
                "Payload": {"body": body, "integratedTime": integrated, "logIndex": 7, "logID": log_id}
            })
            .to_string(),
        }
    }

    /// A key that is not this instance's Rekor.
    pub fn impostor_log() -> rcgen::KeyPair {
        key()
    }
}

/// The TBSCertificate of a DER certificate: the first element of its outer SEQUENCE.
fn tbs_of(cert: &[u8]) -> Vec<u8> {
    let (_, outer) = der_header(cert);
    let inner = &cert[outer..];
    let (len, header) = der_header(inner);
    inner[..header + len].to_vec()
}

/// (content length, header length) of a DER element.
fn der_header(bytes: &[u8]) -> (usize, usize) {
    let first = bytes[1] as usize;
    if first < 0x80 {
        return (first, 2);
    }
    let n = first & 0x7f;
    let len = bytes[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    (len, 2 + n)
}

fn der_octet_string(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x04];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}
