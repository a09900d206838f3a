//! Container image references, normalized as the container runtime reads them.

/// `registry/repository[:tag][@digest]` with Docker Hub defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

pub const DOCKER_HUB: &str = "docker.io";

impl ImageRef {
    /// Parses a reference; `None` for an empty or malformed one.
    pub fn parse(reference: &str) -> Option<ImageRef> {
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().any(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (reference, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(name[last_slash + i + 1..].to_string()),
            ),
            None => (name, None),
        };
        if name.is_empty() || tag.as_deref() == Some("") || digest.as_deref() == Some("") {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" || registry == "registry-1.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    pub fn is_pinned(&self) -> bool {
        self.digest
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:") || d.starts_with("sha512:"))
    }

    /// No tag, or `latest`, and no digest: the reference can change under you.
    pub fn has_mutable_default_tag(&self) -> bool {
        !self.is_pinned() && matches!(self.tag.as_deref(), None | Some("latest"))
    }

    /// `registry/repository`, the name without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// `registry/repository:tag` (`latest` when none), without digest: the key under which
    /// facts about an image are found whatever way a pod writes it.
    pub fn tagged_name(&self) -> String {
        format!(
            "{}/{}:{}",
            self.registry,
            self.repository,
            self.tag.as_deref().unwrap_or("latest")
        )
    }
}

/// Whether `registry` (with the repository, for path-scoped entries) matches an allow-list
/// entry: `registry.example.com`, `registry.example.com/team` or `*.example.com`.
pub fn allowed_by(image: &ImageRef, allow: &[String]) -> bool {
    let full = image.name();
    allow.iter().any(|entry| {
        let entry = entry.trim_end_matches('/');
        if let Some(suffix) = entry.strip_prefix("*.") {
            image.registry.ends_with(&format!(".{suffix}"))
        } else if entry.contains('/') {
            full == entry || full.starts_with(&format!("{entry}/"))
        } else {
            image.registry == entry
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_the_runtime() {
        let r = ImageRef::parse("busybox").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/busybox", None)
        );
        assert!(r.has_mutable_default_tag());
        let r = ImageRef::parse("localhost:5000/app:1.2").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("localhost:5000", Some("1.2"))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("ghcr.io/acme/op:v1@{d}")).unwrap();
        assert!(r.is_pinned() && !r.has_mutable_default_tag());
        assert_eq!(r.name(), "ghcr.io/acme/op");
        assert!(ImageRef::parse("").is_none() && ImageRef::parse("a:").is_none());
    }

    #[test]
    fn allow_list_entries() {
        let r = ImageRef::parse("registry.acme.example/shop/web:1").unwrap();
        assert!(allowed_by(&r, &["registry.acme.example".into()]));
        assert!(allowed_by(&r, &["registry.acme.example/shop".into()]));
        assert!(!allowed_by(&r, &["registry.acme.example/sh".into()]));
        assert!(allowed_by(&r, &["*.example".into()]));
        assert!(!allowed_by(
            &ImageRef::parse("nginx").unwrap(),
            &["registry.acme.example".into()]
        ));
    }
}
