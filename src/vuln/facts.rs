//! What an audit knows of its images' vulnerabilities, looked up by the image reference a pod
//! spec writes (or its digest): filled from Trivy reports, kaudit's own matching, or the
//! demo's database, and read by the vulnerability rules.

use super::{Os, Vulnerability};
use crate::image_ref::ImageRef;
use std::collections::HashMap;
use std::sync::Arc;

/// One image's vulnerabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageVulnerabilities {
    pub os: Option<Os>,
    /// The OS release is past its end of life; `None` when not known.
    pub eosl: Option<bool>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Where this came from (`Trivy report reports/web.json`, `demo database`).
    pub source: String,
}

impl ImageVulnerabilities {
    /// The vulnerabilities at `severity` (`CRITICAL`...) that have a fix, each id once (one
    /// CVE in `libssl3` and `openssl` is one vulnerability of the image).
    pub fn fixable(&self, severity: &str) -> Vec<&Vulnerability> {
        let mut seen = std::collections::HashSet::new();
        self.vulnerabilities
            .iter()
            .filter(|v| v.severity == severity && !v.fixed_version.is_empty())
            .filter(|v| seen.insert(v.id.as_str()))
            .collect()
    }

    /// How many at `severity`, fixed or not.
    pub fn count(&self, severity: &str) -> usize {
        self.vulnerabilities
            .iter()
            .filter(|v| v.severity == severity)
            .count()
    }
}

/// The vulnerabilities of every image known, and where the knowledge comes from.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    by_reference: HashMap<String, Arc<ImageVulnerabilities>>,
    by_digest: HashMap<String, Arc<ImageVulnerabilities>>,
    /// `Trivy reports (2 files)`, `demo database`: said where nothing is known of an image.
    pub source: String,
}

impl ImageFacts {
    pub fn new(source: impl Into<String>) -> ImageFacts {
        ImageFacts {
            source: source.into(),
            ..ImageFacts::default()
        }
    }

    /// Records an image's vulnerabilities under its reference and digests (`repo@sha256:...`
    /// or bare `sha256:...`).
    pub fn insert(&mut self, reference: &str, digests: &[String], facts: ImageVulnerabilities) {
        let facts = Arc::new(facts);
        if let Some(key) = normalized(reference) {
            self.by_reference.insert(key, facts.clone());
        }
        for digest in digests {
            let bare = digest.rsplit('@').next().unwrap_or(digest);
            self.by_digest.insert(bare.to_string(), facts.clone());
        }
        if let Some(digest) = ImageRef::parse(reference).and_then(|r| r.digest) {
            self.by_digest.insert(digest, facts);
        }
    }

    /// The vulnerabilities of the image a pod names: by digest when it pins one, else by its
    /// reference (`busybox:1.36` and `docker.io/library/busybox:1.36` are one image).
    pub fn get(&self, reference: &str) -> Option<&ImageVulnerabilities> {
        let parsed = ImageRef::parse(reference)?;
        if let Some(found) = parsed.digest.as_ref().and_then(|d| self.by_digest.get(d)) {
            return Some(found);
        }
        self.by_reference
            .get(&normalized(reference)?)
            .map(Arc::as_ref)
    }

    pub fn is_empty(&self) -> bool {
        self.by_reference.is_empty() && self.by_digest.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_reference.len().max(self.by_digest.len())
    }
}

/// `registry/repository:tag` with Docker Hub's defaults filled in (no digest).
fn normalized(reference: &str) -> Option<String> {
    let r = ImageRef::parse(reference)?;
    Some(format!(
        "{}/{}:{}",
        r.registry,
        r.repository,
        r.tag.as_deref().unwrap_or("latest")
    ))
}
