//! What a verification trusts: public keys (`--key`), signer identities for keyless
//! signatures (`--certificate-identity[-regexp]` with `--certificate-oidc-issuer[-regexp]`,
//! as cosign takes them), and the Sigstore trust root their certificates and transparency-log
//! proofs are checked against (an embedded production root, or `--trusted-root FILE`).

use super::keyless::TrustRoot;
use super::keys::TrustedKey;
use std::sync::Arc;

/// A regular expression given on the command line may not compile into more than this.
const MAX_REGEX_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub keys: Vec<TrustedKey>,
    pub identities: Vec<Identity>,
    /// Fulcio CAs, Rekor and CT log keys. `None` only when the trust root could not be read:
    /// then no keyless signature and no Rekor proof verifies.
    pub root: Option<Arc<TrustRoot>>,
}

impl Trust {
    /// Keys only, with the embedded production trust root for their Rekor proofs.
    pub fn with_keys(keys: Vec<TrustedKey>) -> Trust {
        Trust {
            keys,
            identities: Vec::new(),
            root: TrustRoot::embedded().ok().map(Arc::new),
        }
    }

    /// Whether anything at all is trusted (a verdict without trust can only say "unverified").
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.identities.is_empty()
    }
}

/// How one certificate field is matched: exactly, or by an (unanchored, as Go's
/// `regexp.MatchString` in cosign) regular expression.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(regex::Regex),
}

impl Matcher {
    pub fn regex(pattern: &str) -> Result<Matcher, String> {
        regex::RegexBuilder::new(pattern)
            .size_limit(MAX_REGEX_BYTES)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| format!("{pattern:?} is not a regular expression: {e}"))
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(expected) => value == expected,
            Matcher::Regex(re) => re.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matcher::Exact(s) => s.clone(),
            Matcher::Regex(re) => format!("/{}/", re.as_str()),
        }
    }
}

/// A keyless signer trusted: the certificate's subject (any of its SANs: email, URI, DNS
/// name, IP) and the OIDC issuer that vouched for it. Every matcher given must match, as in
/// cosign's `Identity` (an exact form and a regexp form may both be set); none means any.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: Vec<Matcher>,
    pub issuer: Vec<Matcher>,
    /// Where it is written (`ClusterPolicy verify-images`); "" for the user's own flags.
    pub from: String,
}

impl Identity {
    /// How reports name it: `ci@example.com from https://accounts.google.com`, prefixed by
    /// the policy that trusts it.
    pub fn name(&self) -> String {
        let describe = |m: &[Matcher]| match m {
            [] => "any".to_string(),
            _ => m
                .iter()
                .map(Matcher::describe)
                .collect::<Vec<_>>()
                .join(" and "),
        };
        let who = format!(
            "{} from {}",
            describe(&self.subject),
            describe(&self.issuer)
        );
        if self.from.is_empty() {
            who
        } else {
            format!("{}: {who}", self.from)
        }
    }

    /// Whether a certificate with these SANs and this issuer is this signer.
    pub fn matches(&self, sans: &[String], issuer: &str) -> bool {
        self.issuer.iter().all(|m| m.matches(issuer))
            && self
                .subject
                .iter()
                .all(|m| sans.iter().any(|s| m.matches(s)))
    }

    /// An identity written in an admission policy (Kyverno's `subject`/`subjectRegExp`/
    /// `issuer`/`issuerRegExp`, policy-controller's `identities[]`): `None` when it names
    /// nothing (that would trust any signer of the root, which kaudit does not assume).
    pub fn from_policy(
        from: &str,
        subject: Option<&str>,
        subject_regexp: Option<&str>,
        issuer: Option<&str>,
        issuer_regexp: Option<&str>,
    ) -> Result<Option<Identity>, String> {
        let matchers =
            |exact: Option<&str>, regexp: Option<&str>| -> Result<Vec<Matcher>, String> {
                let mut out = Vec::new();
                if let Some(e) = exact.filter(|e| !e.is_empty()) {
                    out.push(Matcher::Exact(e.to_string()));
                }
                if let Some(r) = regexp.filter(|r| !r.is_empty()) {
                    out.push(Matcher::regex(r)?);
                }
                Ok(out)
            };
        let subject = matchers(subject, subject_regexp)?;
        let issuer = matchers(issuer, issuer_regexp)?;
        if subject.is_empty() && issuer.is_empty() {
            return Ok(None);
        }
        Ok(Some(Identity {
            subject,
            issuer,
            from: from.to_string(),
        }))
    }

    /// cosign's flag pairs: one form of the subject and one of the issuer are required.
    pub fn from_flags(
        identity: Option<&str>,
        identity_regexp: Option<&str>,
        issuer: Option<&str>,
        issuer_regexp: Option<&str>,
    ) -> Result<Option<Identity>, String> {
        let subject = match (identity, identity_regexp) {
            (Some(s), None) => Some(Matcher::Exact(s.to_string())),
            (None, Some(r)) => Some(Matcher::regex(r)?),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(
                    "give --certificate-identity or --certificate-identity-regexp, not both".into(),
                );
            }
        };
        let issuer = match (issuer, issuer_regexp) {
            (Some(s), None) => Some(Matcher::Exact(s.to_string())),
            (None, Some(r)) => Some(Matcher::regex(r)?),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(
                    "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both"
                        .into(),
                );
            }
        };
        match (subject, issuer) {
            (Some(subject), Some(issuer)) => Ok(Some(Identity {
                subject: vec![subject],
                issuer: vec![issuer],
                from: String::new(),
            })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(
                "a certificate identity needs its issuer too (--certificate-oidc-issuer), as cosign requires"
                    .into(),
            ),
            (None, Some(_)) => Err(
                "an OIDC issuer needs the identity too (--certificate-identity), as cosign requires"
                    .into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_match_any_san_and_the_issuer() {
        let id = Identity::from_flags(
            None,
            Some(r"^https://github\.com/acme/.+@refs/tags/v"),
            Some("https://token.actions.githubusercontent.com"),
            None,
        )
        .unwrap()
        .unwrap();
        let sans = vec![
            "dns.example".to_string(),
            "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2".to_string(),
        ];
        assert!(id.matches(&sans, "https://token.actions.githubusercontent.com"));
        assert!(!id.matches(&sans, "https://accounts.google.com"));
        assert!(!id.matches(&sans[..1], "https://token.actions.githubusercontent.com"));
        assert!(id.name().contains("/^https://github"));
    }

    #[test]
    fn cosign_flag_pairs_are_required_and_exclusive() {
        assert!(Identity::from_flags(Some("a@b"), None, None, None).is_err());
        assert!(Identity::from_flags(None, None, Some("https://x"), None).is_err());
        assert!(Identity::from_flags(Some("a"), Some("a"), Some("i"), None).is_err());
        assert!(Identity::from_flags(None, Some("("), Some("i"), None).is_err());
        assert!(
            Identity::from_flags(None, None, None, None)
                .unwrap()
                .is_none()
        );
        let exact = Identity::from_flags(Some("a@b.c"), None, Some("i"), None)
            .unwrap()
            .unwrap();
        assert!(!exact.matches(&["xa@b.c".into()], "i"), "exact is exact");
    }

    #[test]
    fn policy_identities_need_every_form_given_and_name_their_policy() {
        let both = Identity::from_policy(
            "ClusterPolicy p",
            Some("ci@acme.test"),
            Some("@acme\\.test$"),
            None,
            Some("^https://"),
        )
        .unwrap()
        .unwrap();
        assert!(both.matches(&["ci@acme.test".into()], "https://issuer"));
        assert!(!both.matches(&["ci@acme.test".into()], "http://issuer"));
        assert!(!both.matches(&["dev@acme.test".into()], "https://issuer"));
        assert!(
            both.name()
                .starts_with("ClusterPolicy p: ci@acme.test and /")
        );
        assert!(
            Identity::from_policy("p", None, Some(""), None, None)
                .unwrap()
                .is_none(),
            "an identity naming nothing trusts nothing"
        );
        assert!(Identity::from_policy("p", None, Some("("), None, None).is_err());
    }
}
