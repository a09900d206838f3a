//! The API server's audit Policy (`audit.k8s.io/v1`, `kind: Policy`): what it logs for a
//! request, evaluated exactly as kube-apiserver does (rules in order, the first match wins,
//! no match means `None`), a lint against a CKS-grade policy, and the detections that cannot
//! fire at the levels it sets.

mod lint;

use crate::yaml;
use serde_json::Value;

/// Audit levels, in order of what they record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

const STAGES: &[&str] = &[
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
];

#[derive(Debug, Clone, Default)]
pub struct GroupResources {
    pub group: String,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PolicyRule {
    pub level: Level,
    pub users: Vec<String>,
    pub user_groups: Vec<String>,
    pub verbs: Vec<String>,
    pub resources: Vec<GroupResources>,
    pub namespaces: Vec<String>,
    pub non_resource_urls: Vec<String>,
    pub omit_stages: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AuditPolicy {
    pub file: String,
    /// Line where the Policy document starts.
    pub line: u32,
    pub api_version: String,
    pub omit_stages: Vec<String>,
    pub rules: Vec<PolicyRule>,
    /// Problems that make kube-apiserver refuse the policy: (JSON pointer, message).
    pub invalid: Vec<(String, String)>,
}

/// A request, as the policy sees it.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub user: &'a str,
    pub groups: &'a [&'a str],
    pub verb: &'a str,
    /// `None` for a non-resource request.
    pub resource: Option<ResourceAttrs<'a>>,
    pub path: &'a str,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceAttrs<'a> {
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

/// What the policy decides for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub level: Level,
    /// Index of the rule that matched.
    pub rule: Option<usize>,
    pub omitted_stages: Vec<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

impl AuditPolicy {
    /// Reads a policy file; its first document that is a Policy.
    pub fn parse(file: &str, text: &str) -> Result<AuditPolicy, yaml::ParseError> {
        for doc in yaml::split_documents(text) {
            let parsed = yaml::parse_document(doc).map_err(|e| {
                yaml::ParseError::new(file, Some(e.line), format!("invalid YAML: {}", e.message))
            })?;
            let Some(parsed) = parsed else { continue };
            if parsed.value.get("kind").and_then(Value::as_str) != Some("Policy") {
                continue;
            }
            return Ok(Self::from_value(file, parsed.line, &parsed.value));
        }
        Err(yaml::ParseError::new(
            file,
            None,
            "no audit Policy in it (apiVersion: audit.k8s.io/v1, kind: Policy)",
        ))
    }

    fn from_value(file: &str, line: u32, value: &Value) -> AuditPolicy {
        let mut invalid = Vec::new();
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if api_version != "audit.k8s.io/v1" {
            invalid.push((
                "/apiVersion".to_string(),
                format!(
                    "apiVersion {api_version:?}: kube-apiserver accepts only audit.k8s.io/v1 since 1.24"
                ),
            ));
        }
        let omit_stages = strings(value.get("omitStages"));
        check_stages(&omit_stages, "/omitStages", &mut invalid);
        let mut rules = Vec::new();
        for (i, rule) in value
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = |f: &str| format!("/rules/{i}{f}");
            let level_text = rule.get("level").and_then(Value::as_str).unwrap_or("");
            let level = Level::parse(level_text).unwrap_or_else(|| {
                invalid.push((
                    at("/level"),
                    format!("rules[{i}]: level {level_text:?} is not None, Metadata, Request or RequestResponse"),
                ));
                Level::None
            });
            let resources: Vec<GroupResources> = rule
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|gr| GroupResources {
                    group: gr
                        .get("group")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    resources: strings(gr.get("resources")),
                    resource_names: strings(gr.get("resourceNames")),
                })
                .collect();
            for (j, gr) in resources.iter().enumerate() {
                if gr.group.contains('/') {
                    invalid.push((
                        at(&format!("/resources/{j}/group")),
                        format!(
                            "rules[{i}]: group {:?} must be a bare API group, without a version",
                            gr.group
                        ),
                    ));
                } else if !gr.group.is_empty() && !is_dns_subdomain(&gr.group) {
                    // `*` is no wildcard here: kube-apiserver compares groups exactly and
                    // refuses a group that is not a DNS subdomain.
                    invalid.push((
                        at(&format!("/resources/{j}/group")),
                        format!(
                            "rules[{i}]: group {:?} is not an API group name (groups are matched exactly; \"\" is the core group)",
                            gr.group
                        ),
                    ));
                }
                if !gr.resource_names.is_empty() && gr.resources.is_empty() {
                    invalid.push((
                        at(&format!("/resources/{j}/resourceNames")),
                        format!("rules[{i}]: resourceNames need resources"),
                    ));
                }
            }
            let non_resource_urls = strings(rule.get("nonResourceURLs"));
            for url in &non_resource_urls {
                // `*` alone matches every path; otherwise `*` may only end a path.
                let star_inside = url.find('*').is_some_and(|p| p + 1 != url.len());
                if url != "*" && (!url.starts_with('/') || star_inside) {
                    invalid.push((
                        at("/nonResourceURLs"),
                        format!("rules[{i}]: nonResourceURL {url:?} must start with / and may end in * only"),
                    ));
                }
            }
            let namespaces = strings(rule.get("namespaces"));
            if !non_resource_urls.is_empty() && (!resources.is_empty() || !namespaces.is_empty()) {
                invalid.push((
                    at(""),
                    format!(
                        "rules[{i}]: nonResourceURLs cannot be combined with resources or namespaces"
                    ),
                ));
            }
            let omit = strings(rule.get("omitStages"));
            check_stages(&omit, &at("/omitStages"), &mut invalid);
            rules.push(PolicyRule {
                level,
                users: strings(rule.get("users")),
                user_groups: strings(rule.get("userGroups")),
                verbs: strings(rule.get("verbs")),
                resources,
                namespaces,
                non_resource_urls,
                omit_stages: omit,
            });
        }
        if rules.is_empty() {
            invalid.push((
                "/rules".to_string(),
                "the policy has no rules; kube-apiserver refuses it (\"loaded illegal policy with 0 rules\")".to_string(),
            ));
        }
        AuditPolicy {
            file: file.to_string(),
            line,
            api_version,
            omit_stages,
            rules,
            invalid,
        }
    }

    /// The level and omitted stages for a request: the first matching rule's, else None.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.matches(request) {
                let mut omitted = self.omit_stages.clone();
                for s in &rule.omit_stages {
                    if !omitted.contains(s) {
                        omitted.push(s.clone());
                    }
                }
                return Decision {
                    level: rule.level,
                    rule: Some(i),
                    omitted_stages: omitted,
                };
            }
        }
        Decision {
            level: Level::None,
            rule: None,
            omitted_stages: Vec::new(),
        }
    }
}

/// A lowercase RFC 1123 subdomain, as API group names are.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn check_stages(stages: &[String], pointer: &str, invalid: &mut Vec<(String, String)>) {
    for s in stages {
        if !STAGES.contains(&s.as_str()) {
            invalid.push((pointer.to_string(), format!("unknown stage {s:?}")));
        }
    }
}

impl PolicyRule {
    /// kube-apiserver's `ruleMatches`.
    fn matches(&self, r: &Request<'_>) -> bool {
        if !self.users.is_empty() && !self.users.iter().any(|u| u == r.user) {
            return false;
        }
        if !self.user_groups.is_empty()
            && !r
                .groups
                .iter()
                .any(|g| self.user_groups.iter().any(|x| x == g))
        {
            return false;
        }
        if !self.verbs.is_empty() && !self.verbs.iter().any(|v| v == r.verb) {
            return false;
        }
        if !self.namespaces.is_empty() || !self.resources.is_empty() {
            return self.matches_resource(r);
        }
        if !self.non_resource_urls.is_empty() {
            return self.matches_non_resource(r);
        }
        true
    }

    fn matches_resource(&self, r: &Request<'_>) -> bool {
        let Some(attrs) = &r.resource else {
            return false;
        };
        if !self.namespaces.is_empty() && !self.namespaces.iter().any(|n| n == attrs.namespace) {
            return false;
        }
        if self.resources.is_empty() {
            return true;
        }
        let combined = if attrs.subresource.is_empty() {
            attrs.resource.to_string()
        } else {
            format!("{}/{}", attrs.resource, attrs.subresource)
        };
        self.resources.iter().any(|gr| {
            if gr.group != attrs.group {
                return false;
            }
            if gr.resources.is_empty() {
                return true;
            }
            gr.resources.iter().any(|res| {
                if !gr.resource_names.is_empty()
                    && !gr.resource_names.iter().any(|n| n == attrs.name)
                {
                    return false;
                }
                res == &combined
                    || res == "*"
                    || (!attrs.subresource.is_empty()
                        && res.strip_prefix("*/") == Some(attrs.subresource))
                    || res.strip_suffix("/*") == Some(attrs.resource)
            })
        })
    }

    fn matches_non_resource(&self, r: &Request<'_>) -> bool {
        if r.resource.is_some() {
            return false;
        }
        self.non_resource_urls
            .iter()
            .any(|u| match u.strip_suffix('*') {
                Some(prefix) => r.path.starts_with(prefix),
                None => u == r.path,
            })
    }

    /// True when the rule selects nothing in particular: every request matches it.
    fn is_catch_all(&self) -> bool {
        self.users.is_empty()
            && self.user_groups.is_empty()
            && self.verbs.is_empty()
            && self.resources.is_empty()
            && self.namespaces.is_empty()
            && self.non_resource_urls.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(yaml: &str) -> AuditPolicy {
        AuditPolicy::parse("policy.yaml", yaml).expect("parses")
    }

    fn level(
        p: &AuditPolicy,
        verb: &str,
        group: &str,
        resource: &str,
        sub: &str,
        ns: &str,
    ) -> Level {
        p.decide(&Request {
            user: "jane",
            groups: &["system:authenticated"],
            verb,
            resource: Some(ResourceAttrs {
                group,
                resource,
                subresource: sub,
                namespace: ns,
                name: "x",
            }),
            path: "",
        })
        .level
    }

    #[test]
    fn first_match_wins_and_unmatched_is_none() {
        let p = policy(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: \"\", resources: [secrets]}]\n- level: RequestResponse\n  resources: [{group: \"\", resources: [secrets, pods]}]\n",
        );
        assert_eq!(level(&p, "get", "", "secrets", "", "a"), Level::Metadata);
        assert_eq!(
            level(&p, "create", "", "pods", "", "a"),
            Level::RequestResponse
        );
        // `pods` does not cover its subresources.
        assert_eq!(level(&p, "create", "", "pods", "exec", "a"), Level::None);
        assert_eq!(
            level(&p, "create", "apps", "deployments", "", "a"),
            Level::None
        );
        assert!(p.invalid.is_empty(), "{:?}", p.invalid);
        // `*` is no group wildcard: exact match only, and not a valid group name.
        let star = policy(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: \"*\", resources: [\"*\"]}]\n",
        );
        assert_eq!(
            level(&star, "create", "apps", "deployments", "", "a"),
            Level::None
        );
        assert!(
            star.invalid
                .iter()
                .any(|(_, m)| m.contains("not an API group name"))
        );
    }

    #[test]
    fn resource_patterns_like_the_api_server() {
        let p = policy(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n  resources: [{group: \"\", resources: [\"pods/*\"]}]\n- level: Metadata\n  resources: [{group: apps, resources: [\"*/scale\"]}]\n- level: RequestResponse\n  namespaces: [\"\"]\n- level: None\n  nonResourceURLs: [\"*\"]\n",
        );
        assert_eq!(level(&p, "create", "", "pods", "exec", "a"), Level::Request);
        assert_eq!(
            level(&p, "create", "", "pods", "", "a"),
            Level::Request,
            "pods/* also matches pods"
        );
        assert_eq!(
            level(&p, "update", "apps", "deployments", "scale", "a"),
            Level::Metadata
        );
        assert_eq!(
            level(
                &p,
                "create",
                "rbac.authorization.k8s.io",
                "clusterroles",
                "",
                ""
            ),
            Level::RequestResponse
        );
        assert_eq!(
            level(&p, "create", "apps", "deployments", "", "a"),
            Level::None
        );
    }

    #[test]
    fn invalid_policies_are_named() {
        let p = policy(
            "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Sometimes\n  resources: [{group: apps/v1, resourceNames: [x]}]\n  omitStages: [Later]\n- level: None\n  nonResourceURLs: [\"/a*b\"]\n",
        );
        let messages: Vec<&str> = p.invalid.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(messages.len(), 6, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("audit.k8s.io/v1 since 1.24"))
        );
        assert!(messages.iter().any(|m| m.contains("without a version")));
        assert!(messages.iter().any(|m| m.contains("\"/a*b\"")));
    }
}
