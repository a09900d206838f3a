//! What an audit knows of its images' signatures: a verdict per image, found by the digest
//! a container status names or by the reference a pod writes, for the signature rules.

use super::Verdict;
use crate::image_ref::ImageRef;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct SignatureFacts {
    by_reference: HashMap<String, Arc<Verdict>>,
    by_digest: HashMap<String, Arc<Verdict>>,
    /// What was verified and with which keys: said where an image has no verdict.
    pub source: String,
    /// Every verdict, once, in the order they were made.
    pub verdicts: Vec<Arc<Verdict>>,
}

impl SignatureFacts {
    pub fn new(source: impl Into<String>) -> SignatureFacts {
        SignatureFacts {
            source: source.into(),
            ..SignatureFacts::default()
        }
    }

    /// Records a verdict under the references pods write for the image and its digests.
    pub fn insert(&mut self, written_as: &[String], verdict: Verdict) {
        let verdict = Arc::new(verdict);
        for reference in written_as.iter().chain(std::iter::once(&verdict.image)) {
            if let Some(r) = ImageRef::parse(reference) {
                self.by_reference.insert(r.tagged_name(), verdict.clone());
                if let Some(d) = r.digest {
                    self.by_digest.insert(d, verdict.clone());
                }
            }
        }
        for digest in verdict.digest.iter().chain(&verdict.platform_digest) {
            self.by_digest.insert(digest.clone(), verdict.clone());
        }
        self.verdicts.push(verdict);
    }

    /// The verdict on what a container runs: by its running digest (`imageID`), else by
    /// the digest or reference the pod writes.
    pub fn get_running(&self, reference: &str, image_id: Option<&str>) -> Option<&Verdict> {
        let running = image_id
            .and_then(|id| id.rsplit('@').next())
            .and_then(|d| self.by_digest.get(d));
        let parsed = ImageRef::parse(reference);
        running
            .or_else(|| {
                let r = parsed.as_ref()?;
                r.digest
                    .as_ref()
                    .and_then(|d| self.by_digest.get(d))
                    .or_else(|| self.by_reference.get(&r.tagged_name()))
            })
            .map(Arc::as_ref)
    }
}
