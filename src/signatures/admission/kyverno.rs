//! Kyverno `ClusterPolicy` / `Policy` (kyverno.io/v1): `spec.rules[].verifyImages[]`.
//!
//! Sources: kyverno:api/kyverno/v1/image_verification_types.go (fields, `Convert`),
//! spec_types.go (`GetFailurePolicy`, `AdmissionProcessingEnabled`),
//! pkg/engine/utils/match.go (`MatchesResourceDescription`), pkg/engine/api/engineresponse.go
//! (`ruleAction`, `matchOverride`, `failureActionForRule`), pkg/engine/internal/imageverifier.go
//! (image references then skip references against `ImageInfo.String()`),
//! charts/kyverno/values.yaml (default `resourceFilters`).

use super::webhooks::{Owner, Route};
use super::{Action, items};
use super::{
    AdmissionPolicy, Coverage, Coverages, Engine, Format, MAX_PATTERN, Pattern, Target, Trust,
    present, selects, str_at, strings,
};
use serde_json::Value;

/// Kyverno's default `resourceFilters` (`[*/*,kube-system,*]`...) drop every request in these
/// namespaces before any policy runs.
const FILTERED_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// Kinds whose rules check pods: Pod rules are auto-generated for the controllers (autogen), and
/// a rule on a controller checks the pod template it makes pods from.
const POD_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "ReplicaSet",
    "ReplicationController",
];

/// Who made the request: the pod's requester is unknown here.
const USER_FIELDS: [&str; 3] = ["subjects", "roles", "clusterRoles"];

/// One `verifyImages` entry whose patterns take the image.
struct Entry {
    format: Format,
    trust: Trust,
    verify_digest: bool,
    mutate_digest: bool,
}

/// Whether a rule's `match` takes a pod in the namespace.
enum Sel {
    Match,
    /// It never takes pods (other kinds, other operations, an empty match): not a skip.
    NotPods,
    /// It takes pods, not in this namespace: why.
    Skips(String),
}

pub(super) fn evaluate(policy: &AdmissionPolicy, label: &str, t: &Target, out: &mut Coverages) {
    let notes = &mut out.unreadable;
    let spec = match policy.value.get("spec") {
        Some(spec) if spec.is_object() => spec,
        _ => return notes.push(format!("{label}: no spec object")),
    };
    let rules = match items(spec, "rules", label, notes) {
        Ok(rules) => rules,
        Err(e) => return notes.push(format!("{label}: {e}")),
    };
    let mut matched = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if !rule.is_object() {
            notes.push(format!("{label}: rule {i} is not an object"));
            continue;
        }
        let name = str_at(rule, "name").unwrap_or("");
        let what = format!("{label} rule {name}");
        let verify = match items(rule, "verifyImages", &what, notes) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("{what}: {e}"));
                continue;
            }
        };
        let mut entries = Vec::new();
        for (j, vi) in verify.iter().enumerate() {
            match entry(vi, label, &what, t, notes) {
                Ok(Some(e)) => entries.push(e),
                Ok(None) => {}
                Err(e) => notes.push(format!("{what}: verifyImages[{j}]: {e}")),
            }
        }
        if !entries.is_empty() {
            matched.push((name, rule, verify, entries));
        }
    }
    if matched.is_empty() {
        return;
    }
    // Policy-wide skips come before any rule's match, as in Kyverno's webhook.
    let off = (spec.get("admission") == Some(&Value::Bool(false))).then_some("spec.admission");
    if let Some(why) = skipped(off, "Policy", policy, t) {
        return out.excluded.push(format!("{label}: {why}"));
    }
    // `spec.webhookConfiguration.failurePolicy`, else the deprecated `spec.failurePolicy`,
    // else Fail (`GetFailurePolicy`; the cluster-wide forceFailurePolicyIgnore flag is not
    // visible from the policy, but it shows on the webhooks).
    let failure_policy = spec
        .get("webhookConfiguration")
        .and_then(|w| str_at(w, "failurePolicy"))
        .or_else(|| str_at(spec, "failurePolicy"))
        .unwrap_or("Fail");
    let mut fails_open = failure_policy.eq_ignore_ascii_case("Ignore");
    // A webhook that skips the namespace excludes the whole policy, said once, and only if
    // one of its rules would take the pod.
    let route = t.webhooks.route(
        Owner::KyvernoPolicies,
        t.namespace,
        &t.labels,
        &mut out.unreadable,
    );
    let webhook = match &route {
        Route::Via {
            webhook,
            fails_open: open,
        } => {
            fails_open |= open;
            Some(webhook.clone())
        }
        Route::NotSeen | Route::Skips(_) => None,
    };
    for (name, rule, verify, entries) in matched {
        let what = format!("{label} rule {name}");
        match selects_pod(rule, t, &what, &mut out.unreadable) {
            Err(e) => {
                out.unreadable.push(format!("{what}: {e}"));
                continue;
            }
            Ok(Sel::NotPods) => continue,
            Ok(Sel::Skips(why)) => {
                out.excluded.push(format!("{what}: {why}"));
                continue;
            }
            Ok(Sel::Match) => {}
        }
        if let Route::Skips(why) = &route {
            return out.excluded.push(format!("{label}: {why}"));
        }
        let action = action(verify, spec, t, label, &mut out.unreadable);
        for e in entries {
            out.covering.push(Coverage {
                engine: Engine::Kyverno,
                policy: label.to_string(),
                rule: name.to_string(),
                action,
                format: e.format,
                keys: e.trust.keys,
                identities: e.trust.identities,
                other_trust: e.trust.other,
                fails_open,
                webhook: webhook.clone(),
                verify_digest: e.verify_digest,
                mutate_digest: e.mutate_digest,
            });
        }
    }
}

/// One `verifyImages` entry: `None` when its patterns do not take the image.
fn entry(
    vi: &Value,
    label: &str,
    what: &str,
    t: &Target,
    notes: &mut Vec<String>,
) -> Result<Option<Entry>, String> {
    if !vi.is_object() {
        return Err("not an object".into());
    }
    let mut refs = strings(vi, "imageReferences", what, notes)?;
    // `Convert` folds the deprecated `image` into the references.
    if let Some(image) = str_at(vi, "image").filter(|i| !i.is_empty()) {
        refs.push(image);
    }
    let skips = strings(vi, "skipImageReferences", what, notes)?;
    let image = &t.image.kyverno;
    if !any_matches(&refs, image, what, notes) || any_matches(&skips, image, what, notes) {
        return Ok(None);
    }
    let format = match str_at(vi, "type").unwrap_or("") {
        "" | "Cosign" => Format::Legacy,
        "SigstoreBundle" => Format::Bundle,
        "Notary" => Format::Notary,
        other => return Err(format!("unknown type {other:?}")),
    };
    let flag = |key| vi.get(key).and_then(Value::as_bool).unwrap_or(true);
    Ok(Some(Entry {
        format,
        trust: trust(vi, label, what, notes)?,
        verify_digest: flag("verifyDigest"),
        mutate_digest: flag("mutateDigest"),
    }))
}

fn any_matches(patterns: &[&str], image: &str, what: &str, notes: &mut Vec<String>) -> bool {
    let mut hit = false;
    for p in patterns {
        if p.len() > MAX_PATTERN {
            notes.push(format!(
                "{what}: an image pattern of {} bytes was ignored",
                p.len()
            ));
        } else if !hit && Pattern::wildcard(p).matches(image) {
            hit = true;
        }
    }
    hit
}

/// The keys an entry's attestors name, and whether anything else (keyless identities,
/// certificates, KMS, secrets, nested attestor sets) would also be accepted.
fn trust(vi: &Value, label: &str, what: &str, notes: &mut Vec<String>) -> Result<Trust, String> {
    let mut trust = Trust::default();
    // The deprecated single-attestor fields, which `Convert` turns into an attestor.
    let key = str_at(vi, "key").filter(|k| !k.is_empty());
    if let Some(key) = key {
        trust.add_pem(label, key);
    }
    let keyless = ["issuer", "subject", "roots"]
        .iter()
        .any(|k| present(vi.get(*k)));
    if keyless {
        trust.add_keyless(label, &[vi], present(vi.get("roots")));
    }
    let sets = items(vi, "attestors", what, notes)?;
    if sets.is_empty() && key.is_none() && !keyless {
        // No signature is checked: the entry only checks attestations (signed by keys that
        // say nothing of the image's own signature) or just resolves the digest.
        trust.other = true;
    }
    for set in sets {
        for e in items(set, "entries", what, notes)? {
            let keys = e.get("keys").filter(|k| k.is_object());
            let pem = keys.and_then(|k| str_at(k, "publicKeys").filter(|p| !p.is_empty()));
            if let Some(pem) = pem {
                trust.add_pem(label, pem);
            }
            let unreadable_keys =
                keys.is_some_and(|k| present(k.get("kms")) || present(k.get("secret")));
            let keyless = e.get("keyless").filter(|k| k.is_object());
            if let Some(k) = keyless {
                trust.add_keyless(label, &[k], own_infrastructure(k));
            }
            let others = ["certificates", "attestor"]
                .iter()
                .any(|k| present(e.get(*k)));
            // An entry without a PEM key or keyless signer verifies with something kaudit
            // cannot see.
            trust.other |= (pem.is_none() && keyless.is_none()) || unreadable_keys || others;
        }
    }
    Ok(trust)
}

/// Why Kyverno's webhook passes a pod by before any rule matches, for either kind of
/// policy: admission turned off (`off` names the field), a namespaced policy
/// (`namespaced_kind`) of another namespace, or a namespace its default resourceFilters skip.
pub(super) fn skipped(
    off: Option<&str>,
    namespaced_kind: &str,
    policy: &AdmissionPolicy,
    t: &Target,
) -> Option<String> {
    if let Some(field) = off {
        Some(format!(
            "{field} is false: it runs in background scans only"
        ))
    } else if policy.kind == namespaced_kind && policy.namespace != t.namespace {
        let what = if namespaced_kind.starts_with("Namespaced") {
            namespaced_kind.to_string()
        } else {
            format!("namespaced {namespaced_kind}")
        };
        Some(format!(
            "a {what} applies only in namespace {}",
            policy.namespace
        ))
    } else if FILTERED_NAMESPACES.contains(&t.namespace) {
        Some(format!(
            "Kyverno's default resourceFilters skip namespace {}",
            t.namespace
        ))
    } else {
        None
    }
}

/// Whether a Kyverno keyless attestor brings roots, logs or keys of its own, or relaxes the
/// transparency checks: then the public-good trust root does not decide as Kyverno would.
fn own_infrastructure(keyless: &Value) -> bool {
    let rekor = keyless.get("rekor");
    let ctlog = keyless.get("ctlog");
    let flag = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get(k)).and_then(Value::as_bool) == Some(true)
    };
    present(keyless.get("roots"))
        || present(keyless.get("additionalExtensions"))
        || rekor
            .and_then(|r| str_at(r, "url"))
            .is_some_and(|u| u.trim_end_matches('/') != "https://rekor.sigstore.dev")
        || rekor.is_some_and(|r| present(r.get("pubkey")))
        || ctlog.is_some_and(|c| present(c.get("pubkey")))
        || flag(rekor, "ignoreTlog")
        || flag(ctlog, "ignoreSCT")
}

/// The rule's action (`ruleAction`, then `failureActionForRule`'s fallbacks): an entry's
/// `failureAction: Enforce` wins, else the first entry's explicit action; without one,
/// the first `validationFailureActionOverrides` entry taking the namespace, else
/// `validationFailureAction` (default Audit).
fn action(
    verify: &[Value],
    spec: &Value,
    t: &Target,
    label: &str,
    notes: &mut Vec<String>,
) -> Action {
    let mut first = None;
    for vi in verify {
        if let Some(a) = str_at(vi, "failureAction") {
            if a.eq_ignore_ascii_case("enforce") {
                return Action::Enforce;
            }
            first.get_or_insert(Action::Audit);
        }
    }
    if let Some(a) = first {
        return a;
    }
    let what = format!("{label}: validationFailureActionOverrides");
    match items(spec, "validationFailureActionOverrides", &what, notes) {
        Ok(overrides) => {
            for o in overrides {
                match override_action(o, t, &what, notes) {
                    Ok(Some(a)) => return a,
                    Ok(None) => {}
                    Err(e) => notes.push(format!("{what}: {e}")),
                }
            }
        }
        Err(e) => notes.push(format!("{what}: {e}")),
    }
    parse_action(str_at(spec, "validationFailureAction")).unwrap_or(Action::Audit)
}

/// `audit`/`enforce` in any case; anything else is not a valid action.
fn parse_action(a: Option<&str>) -> Option<Action> {
    match a {
        Some(a) if a.eq_ignore_ascii_case("enforce") => Some(Action::Enforce),
        Some(a) if a.eq_ignore_ascii_case("audit") => Some(Action::Audit),
        _ => None,
    }
}

/// `matchOverride`: no namespaces means every namespace; a selector narrows either way.
fn override_action(
    o: &Value,
    t: &Target,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Option<Action>, String> {
    let Some(action) = parse_action(str_at(o, "action")) else {
        return Ok(None);
    };
    let namespaces = strings(o, "namespaces", what, notes)?;
    if !namespaces.is_empty() && !namespace_in(&namespaces, t.namespace) {
        return Ok(None);
    }
    if let Some(sel) = o.get("namespaceSelector").filter(|s| !s.is_null())
        && !selects(sel, &t.labels, what, notes)?
    {
        return Ok(None);
    }
    Ok(Some(action))
}

pub(super) fn namespace_in(patterns: &[&str], namespace: &str) -> bool {
    patterns
        .iter()
        .any(|p| p.len() <= MAX_PATTERN && Pattern::wildcard(p).matches(namespace))
}

/// `(a, b, c)`, the first few only.
pub(super) fn listed(names: &[&str]) -> String {
    let mut s = names.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        s.push_str(", ...");
    }
    format!("({s})")
}

/// `match` then `exclude` of a rule, for a pod in the target namespace
/// (`MatchesResourceDescription`).
fn selects_pod(
    rule: &Value,
    t: &Target,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Sel, String> {
    let Some(m) = rule.get("match").filter(|m| m.is_object()) else {
        return Ok(Sel::NotPods);
    };
    let sel = if let Some(any) = nonempty(items(m, "any", what, notes)?) {
        let mut skips = Vec::new();
        for f in any {
            match match_filter(f, t, what, notes)? {
                Sel::Match => return exclusion(rule, t, what, notes),
                Sel::Skips(why) => skips.push(why),
                Sel::NotPods => {}
            }
        }
        if skips.is_empty() {
            Sel::NotPods
        } else {
            Sel::Skips(skips.join("; "))
        }
    } else if let Some(all) = nonempty(items(m, "all", what, notes)?) {
        let mut skips = Vec::new();
        for f in all {
            match match_filter(f, t, what, notes)? {
                Sel::NotPods => return Ok(Sel::NotPods),
                Sel::Skips(why) => skips.push(why),
                Sel::Match => {}
            }
        }
        if skips.is_empty() {
            Sel::Match
        } else {
            Sel::Skips(skips.join("; "))
        }
    } else {
        // The deprecated flat form: `match.resources` and the user fields.
        match_filter(m, t, what, notes)?
    };
    match sel {
        Sel::Match => exclusion(rule, t, what, notes),
        other => Ok(other),
    }
}

fn nonempty(list: &[Value]) -> Option<&[Value]> {
    (!list.is_empty()).then_some(list)
}

/// The `exclude` block: `any` excludes when one filter does, `all` when every one does.
fn exclusion(rule: &Value, t: &Target, what: &str, notes: &mut Vec<String>) -> Result<Sel, String> {
    let Some(e) = rule.get("exclude").filter(|e| e.is_object()) else {
        return Ok(Sel::Match);
    };
    let why = if let Some(any) = nonempty(items(e, "any", what, notes)?) {
        let mut why = None;
        for f in any {
            if let Some(w) = exclude_filter(f, t, what, notes)? {
                why = Some(w);
                break;
            }
        }
        why
    } else if let Some(all) = nonempty(items(e, "all", what, notes)?) {
        let mut whys = Vec::new();
        for f in all {
            match exclude_filter(f, t, what, notes)? {
                Some(w) => whys.push(w),
                None => return Ok(Sel::Match),
            }
        }
        Some(whys.join(" and "))
    } else {
        exclude_filter(e, t, what, notes)?
    };
    Ok(why.map_or(Sel::Match, Sel::Skips))
}

/// A filter's `resources`, when it has any set field.
fn resources(f: &Value) -> Result<Option<&Value>, String> {
    match f.get("resources") {
        None | Some(Value::Null) => Ok(None),
        Some(r @ Value::Object(o)) => Ok(o.values().any(|v| present(Some(v))).then_some(r)),
        Some(_) => Err("`resources` is not an object".into()),
    }
}

/// Whether the filter's kinds and operations include creating a pod (or a pod controller).
fn about_pods(r: &Value, what: &str, notes: &mut Vec<String>) -> Result<bool, String> {
    let operations = strings(r, "operations", what, notes)?;
    if !operations.is_empty() && !operations.contains(&"CREATE") {
        return Ok(false);
    }
    let kinds = strings(r, "kinds", what, notes)?;
    // `v1/Pod`, `apps/v1/Deployment`, `Pod/ephemeralcontainers`, `*`: any segment naming a
    // pod-making kind (wildcards allowed) counts.
    Ok(kinds.is_empty()
        || kinds.iter().filter(|k| k.len() <= MAX_PATTERN).any(|k| {
            k.split('/').any(|seg| {
                let p = Pattern::wildcard(seg);
                POD_KINDS.iter().any(|kind| p.matches(kind))
            })
        }))
}

/// One `match` filter. What depends on the pod itself (names, labels, annotations) or on who
/// creates it (subjects, roles) is unknown here: the filter is taken to apply.
fn match_filter(f: &Value, t: &Target, what: &str, notes: &mut Vec<String>) -> Result<Sel, String> {
    let users = USER_FIELDS.iter().any(|k| present(f.get(*k)));
    let Some(r) = resources(f)? else {
        // An empty filter matches nothing ("match cannot be empty").
        return Ok(if users { Sel::Match } else { Sel::NotPods });
    };
    if !about_pods(r, what, notes)? {
        return Ok(Sel::NotPods);
    }
    let namespaces = strings(r, "namespaces", what, notes)?;
    if !namespaces.is_empty() && !namespace_in(&namespaces, t.namespace) {
        return Ok(Sel::Skips(format!(
            "match namespaces {} do not include {}",
            listed(&namespaces),
            t.namespace
        )));
    }
    if let Some(sel) = r.get("namespaceSelector").filter(|s| !s.is_null())
        && !selects(sel, &t.labels, what, notes)?
    {
        return Ok(Sel::Skips(format!(
            "match namespaceSelector does not select namespace {}",
            t.namespace
        )));
    }
    Ok(Sel::Match)
}

/// One `exclude` filter: why it drops every pod of the namespace, or `None`. A filter that
/// depends on the pod or its requester drops only some pods, so it does not count: the rule
/// still covers the others.
fn exclude_filter(
    f: &Value,
    t: &Target,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Option<String>, String> {
    if USER_FIELDS.iter().any(|k| present(f.get(*k))) {
        return Ok(None);
    }
    let Some(r) = resources(f)? else {
        return Ok(None);
    };
    // A pod-making kind counts even when it is not the one that made this pod: kaudit does
    // not know which controller did, and claiming no coverage is the safe side.
    if !about_pods(r, what, notes)?
        || ["name", "names", "selector", "annotations"]
            .iter()
            .any(|k| present(r.get(*k)))
    {
        return Ok(None);
    }
    let mut why = Vec::new();
    let namespaces = strings(r, "namespaces", what, notes)?;
    if !namespaces.is_empty() {
        if !namespace_in(&namespaces, t.namespace) {
            return Ok(None);
        }
        why.push(format!(
            "exclude namespaces {} include {}",
            listed(&namespaces),
            t.namespace
        ));
    }
    if let Some(sel) = r.get("namespaceSelector").filter(|s| !s.is_null()) {
        if !selects(sel, &t.labels, what, notes)? {
            return Ok(None);
        }
        why.push(format!(
            "exclude namespaceSelector selects namespace {}",
            t.namespace
        ));
    }
    if why.is_empty() {
        why.push("exclude takes pods in every namespace".into());
    }
    Ok(Some(why.join(", ")))
}
