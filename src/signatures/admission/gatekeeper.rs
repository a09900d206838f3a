//! Gatekeeper constraints (constraints.gatekeeper.sh) of the gatekeeper-library's image
//! templates: `K8sAllowedRepos`, `K8sAllowedReposv2`, `K8sDisallowedRepos` and
//! `K8sDisallowedTags`. They verify no signature; they decide whether an image from another
//! registry, or with a mutable tag, would be admitted at all.
//!
//! Sources: gatekeeper-library:library/general/{allowedrepos,allowedreposv2,disallowedrepos,
//! disallowedtags}/template.yaml (the Rego: plain string prefix/suffix tests on the image as
//! the pod spec writes it, over `spec.containers`, `initContainers` and
//! `ephemeralContainers` of the admitted object, so only Pods are checked),
//! gatekeeper:pkg/util/enforcement_action.go (`deny` default, `dryrun`, `warn`, `scoped`),
//! gatekeeper:pkg/mutation/match/match.go (`kinds`, `scope`, `namespaces`,
//! `excludedNamespaces`, `labelSelector`, `namespaceSelector`, `name`),
//! gatekeeper:pkg/wildcard/wildcard.go (namespace globs: a `*` at the start and/or the end).

use super::webhooks::{Owner, Route};
use super::{
    Action, AdmissionPolicy, Coverages, MAX_PATTERN, Target, items, selects, str_at, strings,
};
use serde_json::Value;

/// What a constraint restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restriction {
    /// `K8sAllowedRepos` / `K8sAllowedReposv2`: only listed repositories.
    AllowedRepos,
    /// `K8sDisallowedRepos`: not the listed repositories.
    DisallowedRepos,
    /// `K8sDisallowedTags`: not the listed tags, and a tag (or digest) required.
    DisallowedTags,
}

/// One constraint that applies to the image in its namespace.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepoConstraint {
    /// `K8sAllowedRepos acme-registries`.
    pub constraint: String,
    pub restriction: Restriction,
    /// `deny` is Enforce, `dryrun` Audit, `warn` Warn.
    pub action: Action,
    /// Whether the image as written passes it.
    pub passes: bool,
    /// Why it passes or fails (`repository not in the allowed list ...`, `allowed by tag
    /// 1.25, not digest`).
    pub why: String,
    /// Gatekeeper's webhook fails open (the chart's default `failurePolicy: Ignore`).
    pub fails_open: bool,
    /// The webhook that sends the pod to Gatekeeper; `None`: webhook not seen.
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RepoConstraints {
    /// Constraints that check the image in its namespace.
    pub applying: Vec<RepoConstraint>,
    /// Constraints of these templates that skip it, each with why.
    pub skipped: Vec<String>,
}

impl RepoConstraints {
    /// Any constraint of these templates was read: Gatekeeper is in use for images.
    pub fn any(&self) -> bool {
        !self.applying.is_empty() || !self.skipped.is_empty()
    }
}

/// The Gatekeeper enforcement point of the admission webhook.
const WEBHOOK_POINT: &str = "validation.gatekeeper.sh";

pub(super) fn evaluate(policy: &AdmissionPolicy, label: &str, t: &Target, out: &mut Coverages) {
    let restriction = match policy.kind.as_str() {
        "K8sAllowedRepos" | "K8sAllowedReposv2" => Restriction::AllowedRepos,
        "K8sDisallowedRepos" => Restriction::DisallowedRepos,
        "K8sDisallowedTags" => Restriction::DisallowedTags,
        // Constraints of other templates say nothing about images kaudit can read.
        _ => return,
    };
    let notes = &mut out.unreadable;
    let spec = match policy.value.get("spec") {
        Some(spec) if spec.is_object() => spec,
        _ => return notes.push(format!("{label}: no spec object")),
    };
    let action = match action(spec, label, notes) {
        Ok(Some(a)) => a,
        Ok(None) => {
            return out.repos.skipped.push(format!(
                "{label}: no enforcement action at the admission webhook ({WEBHOOK_POINT})"
            ));
        }
        Err(e) => return out.repos.skipped.push(format!("{label}: {e}")),
    };
    match takes(spec, t, label, notes) {
        Err(e) => return notes.push(format!("{label}: {e}")),
        Ok(Sel::NotPods) => return,
        Ok(Sel::Skips(why)) => return out.repos.skipped.push(format!("{label}: {why}")),
        Ok(Sel::Match) => {}
    }
    let (webhook, fails_open) = match t.webhooks.route(
        Owner::Gatekeeper,
        t.namespace,
        &t.labels,
        &mut out.unreadable,
    ) {
        Route::NotSeen => (None, false),
        Route::Via {
            webhook,
            fails_open,
        } => (Some(webhook), fails_open),
        Route::Skips(why) => return out.repos.skipped.push(format!("{label}: {why}")),
    };
    let params = spec.get("parameters").unwrap_or(&Value::Null);
    let image = t.image.raw.as_str();
    let verdict = match policy.kind.as_str() {
        "K8sAllowedRepos" => allowed_repos(params, image, label, &mut out.unreadable),
        "K8sAllowedReposv2" => allowed_images(params, image, label, &mut out.unreadable),
        "K8sDisallowedRepos" => disallowed_repos(params, image, label, &mut out.unreadable),
        _ => disallowed_tags(params, image, label, &mut out.unreadable),
    };
    let (passes, why) = match verdict {
        Ok(v) => v,
        Err(e) => return out.unreadable.push(format!("{label}: {e}")),
    };
    out.repos.applying.push(RepoConstraint {
        constraint: label.to_string(),
        restriction,
        action,
        passes,
        why,
        fails_open,
        webhook,
    });
}

/// `spec.enforcementAction` (default `deny`); for `scoped`, the strongest action of the
/// `scopedEnforcementActions` whose enforcement points include the admission webhook.
/// `None`: nothing happens at admission.
fn action(spec: &Value, label: &str, notes: &mut Vec<String>) -> Result<Option<Action>, String> {
    let simple = |a: &str| match a {
        "deny" => Some(Action::Enforce),
        "dryrun" => Some(Action::Audit),
        "warn" => Some(Action::Warn),
        _ => None,
    };
    let declared = match spec.get("enforcementAction") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err("enforcementAction is not a string".into()),
    };
    match declared {
        "" => Ok(Some(Action::Enforce)),
        "scoped" => {
            let mut strongest: Option<Action> = None;
            for scoped in items(spec, "scopedEnforcementActions", label, notes)? {
                let at_webhook = items(scoped, "enforcementPoints", label, notes)?
                    .iter()
                    .any(|p| matches!(str_at(p, "name"), Some(WEBHOOK_POINT | "*")));
                if let Some(a) = str_at(scoped, "action").and_then(simple)
                    && at_webhook
                {
                    strongest = Some(strongest.map_or(a, |s| s.min(a)));
                }
            }
            Ok(strongest)
        }
        // Gatekeeper classes anything else as `unrecognized` and does not enforce it.
        other => simple(other)
            .map(Some)
            .ok_or_else(|| format!("unrecognized enforcementAction {other:?}: not enforced")),
    }
}

enum Sel {
    Match,
    NotPods,
    Skips(String),
}

/// `spec.match` for a Pod in the target namespace. `labelSelector` and `name` depend on the
/// pod: taken to apply.
fn takes(spec: &Value, t: &Target, label: &str, notes: &mut Vec<String>) -> Result<Sel, String> {
    let m = match spec.get("match") {
        None | Some(Value::Null) => return Ok(Sel::Match),
        Some(m) if m.is_object() => m,
        Some(_) => return Err("`match` is not an object".into()),
    };
    let kinds = items(m, "kinds", label, notes)?;
    let pods = kinds.is_empty()
        || kinds.iter().any(|k| {
            let names = strings(k, "kinds", label, notes).unwrap_or_default();
            let groups = strings(k, "apiGroups", label, notes).unwrap_or_default();
            (names.is_empty() || names.iter().any(|n| *n == "Pod" || *n == "*"))
                && (groups.is_empty() || groups.iter().any(|g| g.is_empty() || *g == "*"))
        });
    if !pods || str_at(m, "scope") == Some("Cluster") {
        return Ok(Sel::NotPods);
    }
    let namespaces = strings(m, "namespaces", label, notes)?;
    if !namespaces.is_empty() && !namespaces.iter().any(|n| wildcard(n, t.namespace)) {
        return Ok(Sel::Skips(format!(
            "match namespaces {} do not include {}",
            super::kyverno::listed(&namespaces),
            t.namespace
        )));
    }
    let excluded = strings(m, "excludedNamespaces", label, notes)?;
    if excluded.iter().any(|n| wildcard(n, t.namespace)) {
        return Ok(Sel::Skips(format!(
            "excludedNamespaces {} include {}",
            super::kyverno::listed(&excluded),
            t.namespace
        )));
    }
    if let Some(sel) = m.get("namespaceSelector").filter(|s| !s.is_null())
        && !selects(sel, &t.labels, label, notes)?
    {
        return Ok(Sel::Skips(format!(
            "match namespaceSelector does not select namespace {}",
            t.namespace
        )));
    }
    Ok(Sel::Match)
}

/// Gatekeeper's namespace wildcard: `*` only at the start and/or the end.
fn wildcard(pattern: &str, name: &str) -> bool {
    let (head, tail) = (pattern.starts_with('*'), pattern.ends_with('*'));
    let core = pattern.trim_start_matches('*').trim_end_matches('*');
    match (head, tail) {
        // `*` alone (or `**`) trims to nothing, which every name contains.
        (true, true) => name.contains(core),
        (true, false) => name.ends_with(core),
        (false, true) => name.starts_with(core),
        (false, false) => pattern == name,
    }
}

/// The strings at `parameters.<key>`, those longer than [`MAX_PATTERN`] dropped.
fn listed_param<'v>(
    params: &'v Value,
    key: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<&'v str>, String> {
    if params.is_null() {
        return Ok(Vec::new());
    }
    let all = strings(params, key, label, notes)?;
    if all.iter().any(|p| p.len() > MAX_PATTERN) {
        notes.push(format!(
            "{label}: parameters.{key} entries over {MAX_PATTERN} bytes were ignored"
        ));
    }
    Ok(all.into_iter().filter(|p| p.len() <= MAX_PATTERN).collect())
}

/// `K8sAllowedRepos`: `strings.any_prefix_match(image, repos)` on the image as written.
fn allowed_repos(
    params: &Value,
    image: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<(bool, String), String> {
    let repos = listed_param(params, "repos", label, notes)?;
    match repos.iter().find(|r| image.starts_with(**r)) {
        Some(repo) => Ok((
            true,
            format!("starts with {repo}{}", lookalike(repo, image)),
        )),
        None => Ok((false, not_listed(&repos, image))),
    }
}

/// `K8sAllowedReposv2`: an entry ending in `*` is a prefix, any other must equal the image.
fn allowed_images(
    params: &Value,
    image: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<(bool, String), String> {
    let allowed = listed_param(params, "allowedImages", label, notes)?;
    let hit = allowed.iter().find(|a| match a.strip_suffix('*') {
        Some(prefix) => image.starts_with(prefix),
        None => **a == image,
    });
    match hit {
        Some(a) => {
            let prefix = a.strip_suffix('*').unwrap_or(a);
            Ok((true, format!("matches {a}{}", lookalike(prefix, image))))
        }
        None => Ok((false, not_listed(&allowed, image))),
    }
}

/// `K8sDisallowedRepos`: rejected when the image starts with any listed prefix.
fn disallowed_repos(
    params: &Value,
    image: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<(bool, String), String> {
    let repos = listed_param(params, "repos", label, notes)?;
    Ok(match repos.iter().find(|r| image.starts_with(**r)) {
        Some(repo) => (false, format!("repository {repo} is disallowed")),
        None => (true, "starts with no disallowed repository".into()),
    })
}

/// `K8sDisallowedTags`: exempt images pass; otherwise the image fails when it ends with
/// `:<tag>` for a listed tag, or when its last path segment has no `:` at all (no tag and no
/// digest). A digest after the tag (`app:latest@sha256:...`) ends the string, so the tag is
/// not seen: pinned images pass.
fn disallowed_tags(
    params: &Value,
    image: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<(bool, String), String> {
    let exempt = listed_param(params, "exemptImages", label, notes)?;
    if let Some(e) = exempt.iter().find(|e| match e.strip_suffix('*') {
        Some(prefix) => image.starts_with(prefix),
        None => **e == image,
    }) {
        return Ok((true, format!("exempt by exemptImages entry {e}")));
    }
    let tags = listed_param(params, "tags", label, notes)?;
    if let Some(tag) = tags.iter().find(|tag| {
        image
            .strip_suffix(**tag)
            .is_some_and(|rest| rest.ends_with(':'))
    }) {
        return Ok((false, format!("tag {tag} is disallowed")));
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if !last.contains(':') {
        return Ok((false, "the image names no tag".into()));
    }
    let pinned = crate::image_ref::ImageRef::parse(image).is_some_and(|r| r.is_pinned());
    Ok((
        true,
        if pinned {
            "pinned by digest".to_string()
        } else {
            let tag = last.rsplit(':').next().unwrap_or("");
            format!("allowed by tag {tag}, not digest")
        },
    ))
}

/// Why an image is outside an allow-list, with the classic trap spelled out: the Rego compares
/// the string as written, so a Docker Hub image without its registry (`postgres:16`) does not
/// start with `docker.io/`.
fn not_listed(allowed: &[&str], image: &str) -> String {
    let mut why = format!(
        "repository not in the allowed list {}",
        super::kyverno::listed(allowed)
    );
    let first = image.split('/').next().unwrap_or("");
    let no_registry = !image.contains('/') || !(first.contains(['.', ':']) || first == "localhost");
    if no_registry && allowed.iter().any(|a| a.starts_with("docker.io/")) {
        why.push_str(&format!(
            " (the image is compared as written: {image} names no registry, so it does not start with docker.io/)"
        ));
    }
    why
}

/// A prefix without a trailing `/` also admits lookalike names (`registry.acme.example`
/// admits `registry.acme.example.evil.net/...`): said when this image is one.
fn lookalike(prefix: &str, image: &str) -> String {
    let next = image[prefix.len()..].chars().next();
    if prefix.ends_with(['/', ':', '@']) || matches!(next, None | Some('/' | ':' | '@')) {
        String::new()
    } else {
        format!(" (a prefix without a trailing /: {image} only looks like it)")
    }
}
