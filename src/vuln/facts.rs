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
    /// By (node, digest): what a multi-platform image is on the platform of that node.
    by_node: HashMap<(String, String), Arc<ImageVulnerabilities>>,
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

    /// Records what `digest` (a multi-platform index, say) is on the given nodes.
    pub fn insert_on_nodes(&mut self, nodes: &[String], digest: &str, facts: ImageVulnerabilities) {
        let facts = Arc::new(facts);
        let bare = digest.rsplit('@').next().unwrap_or(digest);
        for node in nodes {
            self.by_node
                .insert((node.clone(), bare.to_string()), facts.clone());
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

    /// The vulnerabilities of what a container runs: by the digest its status names
    /// (`imageID`; the tag may have moved since the pod started) on the pod's node, else
    /// that digest on any platform, else as [`Self::get`].
    pub fn get_running(
        &self,
        reference: &str,
        image_id: Option<&str>,
        node: Option<&str>,
    ) -> Option<&ImageVulnerabilities> {
        let digest = image_id.and_then(|id| id.rsplit('@').next());
        let on_node = match (node, digest) {
            (Some(node), Some(digest)) => self.by_node.get(&(node.to_string(), digest.to_string())),
            _ => None,
        };
        on_node
            .or_else(|| digest.and_then(|d| self.by_digest.get(d)))
            .map(Arc::as_ref)
            .or_else(|| self.get(reference))
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
    ImageRef::parse(reference).map(|r| r.tagged_name())
}

/// Known vulnerabilities per image that runs, for the reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImagesSummary {
    /// Where the data comes from.
    pub source: String,
    pub images: Vec<ImageSummary>,
    /// Images that run but of which nothing is known.
    pub unknown: Vec<String>,
}

/// One image's vulnerabilities, counted and listed (most severe first).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageSummary {
    pub image: String,
    /// Where the first workload that runs it is defined (a manifest's file and line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::findings::Location>,
    /// The workloads that run it (`Deployment shop/web`), in audit order.
    pub workloads: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    pub eosl: Option<bool>,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub unknown: usize,
    /// Rows (package and vulnerability) with a fixed version.
    pub fixable: usize,
    pub vulnerabilities: Vec<Vulnerability>,
}

impl ImageFacts {
    /// The summary of the images that run (`images`: references as pods write them, with
    /// where each pod is defined and the workload's name).
    pub fn summarize<'a>(
        &self,
        images: impl IntoIterator<Item = (&'a str, Option<crate::findings::Location>, String)>,
    ) -> ImagesSummary {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut out = ImagesSummary {
            source: self.source.clone(),
            images: Vec::new(),
            unknown: Vec::new(),
        };
        for (image, location, workload) in images {
            if let Some(&index) = seen.get(image) {
                if let Some(known) = out.images.get_mut(index)
                    && !known.workloads.contains(&workload)
                {
                    known.workloads.push(workload);
                }
                continue;
            }
            seen.insert(image, out.images.len());
            let Some(known) = self.get(image) else {
                // Kept apart from the images' indices: never a valid index into them.
                seen.insert(image, usize::MAX);
                out.unknown.push(image.to_string());
                continue;
            };
            let mut vulnerabilities = known.vulnerabilities.clone();
            vulnerabilities.sort_by(|a, b| {
                super::severity(b.severity)
                    .cmp(&super::severity(a.severity))
                    .then_with(|| a.fixed_version.is_empty().cmp(&b.fixed_version.is_empty()))
                    .then_with(|| a.id.cmp(&b.id))
                    .then_with(|| a.package.cmp(&b.package))
            });
            out.images.push(ImageSummary {
                image: image.to_string(),
                location,
                workloads: vec![workload],
                os: known.os.clone(),
                eosl: known.eosl,
                critical: known.count("CRITICAL"),
                high: known.count("HIGH"),
                medium: known.count("MEDIUM"),
                low: known.count("LOW"),
                unknown: known.count("UNKNOWN"),
                fixable: vulnerabilities
                    .iter()
                    .filter(|v| !v.fixed_version.is_empty())
                    .count(),
                vulnerabilities,
            });
        }
        out.unknown.sort();
        // Worst first: critical, then high, then fixable counts.
        out.images.sort_by(|a, b| {
            (b.critical, b.high, b.fixable, &a.image)
                .cmp(&(a.critical, a.high, a.fixable, &b.image))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(source: &str) -> ImageVulnerabilities {
        ImageVulnerabilities {
            os: None,
            eosl: None,
            vulnerabilities: Vec::new(),
            source: source.into(),
        }
    }

    #[test]
    fn an_image_summary_names_every_workload_that_runs_it_once() {
        let mut facts = ImageFacts::new("test");
        facts.insert("nginx:1.25", &[], known("a"));
        let summary = facts.summarize([
            ("nginx:1.25", None, "Deployment shop/web".to_string()),
            ("busybox", None, "Pod shop/debug".to_string()),
            ("nginx:1.25", None, "Deployment shop/admin".to_string()),
            ("nginx:1.25", None, "Deployment shop/web".to_string()),
            ("busybox", None, "Pod shop/other".to_string()),
        ]);
        assert_eq!(summary.images.len(), 1);
        assert_eq!(
            summary.images[0].workloads,
            ["Deployment shop/web", "Deployment shop/admin"]
        );
        assert_eq!(summary.unknown, ["busybox"]);
    }

    #[test]
    fn a_pod_on_a_known_node_gets_its_platforms_image() {
        let mut facts = ImageFacts::new("test");
        let digest = format!("sha256:{}", "a".repeat(64));
        facts.insert(&format!("web@{digest}"), &[], known("amd64"));
        facts.insert_on_nodes(&["arm-1".into()], &digest, known("arm64"));
        let id = format!("registry/web@{digest}");
        let on = |node| {
            facts
                .get_running("web:1", Some(&id), node)
                .unwrap()
                .source
                .clone()
        };
        assert_eq!(on(Some("arm-1")), "arm64");
        assert_eq!(on(Some("amd-1")), "amd64");
        assert_eq!(on(None), "amd64");
    }
}
