//! Kyverno `ImageValidatingPolicy` and `NamespacedImageValidatingPolicy`
//! (policies.kyverno.io v1alpha1, v1beta1, v1: the same spec).
//!
//! Sources: kyverno/api:api/policies.kyverno.io/v1beta1/imagevalidating_policy.go (fields;
//! `ValidationActions` defaults to Deny, `GetFailurePolicy` to Fail, `AdmissionEnabled` to
//! true; `validationConfigurations` mutateDigest/verifyDigest/required default true),
//! kyverno:pkg/cel/matching/image.go (`MatchImage`: no references match every image),
//! pkg/cel/compiler/compiler.go (`CompileMatchImageReference`: gobwas globs on the image as
//! the pod spec writes it, or CEL), pkg/cel/policies/ivpol/engine/engine.go (`matchPolicy`:
//! the ValidatingAdmissionPolicy matcher on `matchConstraints`),
//! pkg/image/verifiers/ivpol/cosign/verifier.go (bundle referrers, else `.sig`),
//! pkg/image/verification/evaluator/policy.go (`required`: an image no policy verified fails),
//! pkg/webhooks/server.go (the ivpol handlers go through the same resource filters).

use super::glob::Glob;
use super::sigstore::POD_RESOURCES;
use super::webhooks::{Owner, Route};
use super::{
    Action, AdmissionPolicy, Coverage, Coverages, Engine, Format, MAX_PATTERN, Target, Trust,
    items, present, selects, str_at, strings,
};
use serde_json::Value;

/// A validation expression longer than this is not searched for verification calls.
const MAX_EXPRESSION: usize = 64 << 10;

pub(super) fn evaluate(policy: &AdmissionPolicy, label: &str, t: &Target, out: &mut Coverages) {
    let notes = &mut out.unreadable;
    let spec = match policy.value.get("spec") {
        Some(spec) if spec.is_object() => spec,
        _ => return notes.push(format!("{label}: no spec object")),
    };
    match matches_image(spec, &t.image.raw, label, notes) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return notes.push(format!("{label}: {e}")),
    }
    let off = (spec
        .pointer("/evaluation/admission/enabled")
        .and_then(Value::as_bool)
        == Some(false))
    .then_some("evaluation.admission.enabled");
    if let Some(why) = super::kyverno::skipped(off, "NamespacedImageValidatingPolicy", policy, t) {
        return out.excluded.push(format!("{label}: {why}"));
    }
    match takes_pods(spec, t, label, notes) {
        Err(e) => return notes.push(format!("{label}: matchConstraints: {e}")),
        Ok(Sel::NotPods) => return,
        Ok(Sel::Skips(why)) => return out.excluded.push(format!("{label}: {why}")),
        Ok(Sel::Match) => {}
    }
    let config = spec.get("validationConfigurations");
    let flag = |key: &str| {
        config
            .and_then(|c| c.get(key))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    // Without `required`, only validations that call the verification function check
    // signatures; kaudit does not evaluate CEL, so it looks for the call.
    if !flag("required") && !calls_verification(spec, label, notes) {
        return out.excluded.push(format!(
            "{label}: validationConfigurations.required is false and no validation calls verifyImageSignatures"
        ));
    }
    let mut fails_open = str_at(spec, "failurePolicy") == Some("Ignore");
    let webhook = match t.webhooks.route(
        Owner::KyvernoImagePolicies,
        t.namespace,
        &t.labels,
        &mut out.unreadable,
    ) {
        Route::NotSeen => None,
        Route::Via {
            webhook,
            fails_open: open,
        } => {
            fails_open |= open;
            Some(webhook)
        }
        Route::Skips(why) => return out.excluded.push(format!("{label}: {why}")),
    };
    let action = action(spec, label, &mut out.unreadable);
    let groups = match attestors(spec, label, &mut out.unreadable) {
        Ok(g) => g,
        Err(e) => return out.unreadable.push(format!("{label}: {e}")),
    };
    let several = groups.len() > 1;
    for (format, names, trust) in groups {
        out.covering.push(Coverage {
            engine: Engine::Kyverno,
            policy: label.to_string(),
            rule: names.join(", "),
            action,
            format,
            keys: trust.keys,
            identities: trust.identities,
            // The validations choose among the attestors: another format's may admit it.
            other_trust: trust.other || several,
            fails_open,
            webhook: webhook.clone(),
            verify_digest: flag("verifyDigest"),
            mutate_digest: flag("mutateDigest"),
        });
    }
}

/// `MatchImage`: an empty `matchImageReferences` takes every image; globs are matched on the
/// image as written. A CEL expression is not evaluated: it is not counted as a match, and
/// said so when nothing else matched.
fn matches_image(
    spec: &Value,
    image: &str,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<bool, String> {
    let refs = items(spec, "matchImageReferences", label, notes)?;
    if refs.is_empty() {
        return Ok(true);
    }
    let mut unevaluated = 0;
    for r in refs {
        if let Some(glob) = str_at(r, "glob").filter(|g| !g.is_empty()) {
            if glob.len() > MAX_PATTERN {
                notes.push(format!(
                    "{label}: a glob of {} bytes was ignored",
                    glob.len()
                ));
                continue;
            }
            // Kyverno refuses to compile the whole policy over one bad glob.
            if Glob::compile(glob)?.matches(image) {
                return Ok(true);
            }
        } else if str_at(r, "expression").is_some_and(|e| !e.is_empty()) {
            unevaluated += 1;
        } else {
            return Err("a matchImageReferences entry has neither glob nor expression".into());
        }
    }
    if unevaluated > 0 {
        notes.push(format!(
            "{label}: {unevaluated} CEL matchImageReferences expression(s) not evaluated; the policy is not counted as covering {image}"
        ));
    }
    Ok(false)
}

enum Sel {
    Match,
    NotPods,
    Skips(String),
}

/// `matchConstraints` as a ValidatingAdmissionPolicy's: a `resourceRules` entry must take
/// CREATE of pods (or of a pod controller: autogen extends pod policies to them, and a
/// controller's pod template is what its pods run), no `excludeResourceRules` entry may take
/// pods, and the `namespaceSelector` must select the namespace. `objectSelector` and
/// `resourceNames` depend on the pod: taken to apply.
fn takes_pods(
    spec: &Value,
    t: &Target,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<Sel, String> {
    let m = match spec.get("matchConstraints") {
        // Without resource rules the matcher takes nothing.
        None | Some(Value::Null) => return Ok(Sel::NotPods),
        Some(m) if m.is_object() => m,
        Some(_) => return Err("not an object".into()),
    };
    let mut pods = false;
    for rule in items(m, "resourceRules", label, notes)? {
        pods |= rule_takes(rule, |r| POD_RESOURCES.contains(&r), label, notes)?;
    }
    if !pods {
        return Ok(Sel::NotPods);
    }
    for rule in items(m, "excludeResourceRules", label, notes)? {
        let names = strings(rule, "resourceNames", label, notes)?;
        if names.is_empty() && rule_takes(rule, |r| r == "pods", label, notes)? {
            return Ok(Sel::Skips("excludeResourceRules exclude pods".into()));
        }
    }
    if let Some(sel) = m.get("namespaceSelector").filter(|s| !s.is_null())
        && !selects(sel, &t.labels, label, notes)?
    {
        return Ok(Sel::Skips(format!(
            "matchConstraints.namespaceSelector does not select namespace {}",
            t.namespace
        )));
    }
    Ok(Sel::Match)
}

/// One `NamedRuleWithOperations`: groups, operations and resources (`*` for any).
fn rule_takes(
    rule: &Value,
    resource: impl Fn(&str) -> bool,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<bool, String> {
    let operations = strings(rule, "operations", label, notes)?;
    let resources = strings(rule, "resources", label, notes)?;
    let groups = strings(rule, "apiGroups", label, notes)?;
    Ok(str_at(rule, "scope") != Some("Cluster")
        && operations.iter().any(|o| *o == "CREATE" || *o == "*")
        && groups
            .iter()
            .any(|g| matches!(*g, "" | "*" | "apps" | "batch"))
        && resources
            .iter()
            .any(|r| *r == "*" || *r == "*/*" || resource(r)))
}

/// `validationActions`: Deny enforces; without it Audit, then Warn; none given is Deny.
fn action(spec: &Value, label: &str, notes: &mut Vec<String>) -> Action {
    let actions = strings(spec, "validationActions", label, notes).unwrap_or_else(|e| {
        notes.push(format!("{label}: {e}"));
        Vec::new()
    });
    if actions.is_empty() || actions.contains(&"Deny") {
        Action::Enforce
    } else if actions.contains(&"Audit") {
        Action::Audit
    } else {
        // Warn, or only values Kyverno ignores: nothing is denied.
        Action::Warn
    }
}

/// Whether any validation's expression calls the image signature verification function.
fn calls_verification(spec: &Value, label: &str, notes: &mut Vec<String>) -> bool {
    items(spec, "validations", label, notes)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| str_at(v, "expression"))
        .any(|e| e.len() <= MAX_EXPRESSION && e.contains("verifyImageSignatures"))
}

/// The attestors grouped by the format their verifier reads, with their names and trust.
/// No attestor at all still covers the image (`required` fails what no policy verified), with
/// nothing kaudit could verify it with.
type Group = (Format, Vec<String>, Trust);

fn attestors(spec: &Value, label: &str, notes: &mut Vec<String>) -> Result<Vec<Group>, String> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, a) in items(spec, "attestors", label, notes)?.iter().enumerate() {
        if !a.is_object() {
            notes.push(format!("{label}: attestor {i} is not an object"));
            continue;
        }
        let name = str_at(a, "name")
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("attestor-{i}"), str::to_string);
        let format = if a.get("cosign").is_some_and(Value::is_object) {
            Format::LegacyOrBundle
        } else if a.get("notary").is_some_and(Value::is_object) {
            Format::Notary
        } else {
            notes.push(format!(
                "{label}: attestor {name} is neither cosign nor notary"
            ));
            continue;
        };
        // One trust per format, so that the keys are numbered across the policy.
        let at = match groups.iter().position(|g| g.0 == format) {
            Some(at) => at,
            None => {
                groups.push((format, Vec::new(), Trust::default()));
                groups.len() - 1
            }
        };
        let (_, names, trust) = &mut groups[at];
        names.push(name);
        let Some(cosign) = a.get("cosign").filter(|c| c.is_object()) else {
            // Notary trusts certificates, which kaudit does not verify with.
            trust.other = true;
            continue;
        };
        let key = cosign.get("key").filter(|k| k.is_object());
        let data = key.and_then(|k| str_at(k, "data").filter(|d| !d.is_empty()));
        if let Some(data) = data {
            trust.add_pem(label, data);
        }
        let key_elsewhere =
            key.is_some_and(|k| present(k.get("kms")) || present(k.get("expression")));
        let keyless = cosign.get("keyless").filter(|k| k.is_object());
        if let Some(k) = keyless {
            let identities = items(k, "identities", label, notes)?;
            let own = present(k.get("roots")) || present(cosign.get("ctlog"));
            trust.add_keyless(label, &identities.iter().collect::<Vec<_>>(), own);
        }
        trust.other |= (data.is_none() && keyless.is_none())
            || key_elsewhere
            || present(cosign.get("certificate"));
    }
    if groups.is_empty() {
        groups.push((
            Format::LegacyOrBundle,
            Vec::new(),
            Trust {
                other: true,
                ..Trust::default()
            },
        ));
    }
    Ok(groups)
}
