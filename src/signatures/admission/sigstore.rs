//! Sigstore policy-controller `ClusterImagePolicy` (policy.sigstore.dev/v1beta1, v1alpha1).
//!
//! Sources: policy-controller:pkg/apis/glob/glob.go (`Compile`, `Match`),
//! pkg/apis/config/image_policies.go (`GetMatchingPolicies`), pkg/webhook/validator.go
//! (`validateContainerImage` passes `ref.Name()`, `ValidatePolicy`: one authority passing is
//! enough, `NewBundleFormat` only for `signatureFormat: bundle`),
//! pkg/apis/policy/v1beta1/clusterimagepolicy_defaults.go (mode, authority names),
//! config/500-webhook-configuration.yaml (namespace opt-in, failurePolicy Fail).

use super::webhooks::{Owner, Route};
use super::{
    Action, AdmissionPolicy, Coverage, Coverages, Engine, Format, MAX_PATTERN, Pattern, Target,
    Trust, items, present, str_at,
};
use serde_json::Value;

/// Both webhooks select namespaces with this label set to "true" (the chart's default
/// `namespaceSelector`); unlabeled namespaces are never sent to policy-controller.
const INCLUDE_LABEL: &str = "policy.sigstore.dev/include";

/// Resources whose objects carry pod specs the webhook checks.
pub(super) const POD_RESOURCES: [&str; 8] = [
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "jobs",
    "cronjobs",
    "replicasets",
    "replicationcontrollers",
];

pub(super) fn evaluate(policy: &AdmissionPolicy, label: &str, t: &Target, out: &mut Coverages) {
    let notes = &mut out.unreadable;
    let spec = match policy.value.get("spec") {
        Some(spec) if spec.is_object() => spec,
        _ => return notes.push(format!("{label}: no spec object")),
    };
    let images = match items(spec, "images", label, notes) {
        Ok(images) => images,
        Err(e) => return notes.push(format!("{label}: {e}")),
    };
    // Only ggcr's name is matched: `glob.Match` retries the raw string when it differs from
    // `ref.Name()`, but the validator already hands it `ref.Name()`, so in admission the retry
    // never sees what the pod spec wrote (a glob `nginx` matches nothing there).
    let mut hit = false;
    for image in images {
        // Patterns without a glob (v1alpha1's `regex`) are skipped, as `GetMatchingPolicies`
        // does.
        let Some(glob) = str_at(image, "glob").filter(|g| !g.is_empty()) else {
            continue;
        };
        match compile(glob) {
            Ok(p) if p.matches(&t.image.ggcr) => hit = true,
            Ok(_) => {}
            Err(e) => notes.push(format!("{label}: {e}")),
        }
        if hit {
            break;
        }
    }
    if !hit {
        return;
    }
    match items(spec, "match", label, notes) {
        Ok(m) if !m.is_empty() && !m.iter().any(about_pods) => return,
        Ok(_) => {}
        Err(e) => return notes.push(format!("{label}: {e}")),
    }
    // The webhook read from the cluster decides; without one, the chart's namespace opt-in.
    let (webhook, fails_open) =
        match t
            .webhooks
            .route(Owner::PolicyController, t.namespace, &t.labels, notes)
        {
            Route::Via {
                webhook,
                fails_open,
            } => (Some(webhook), fails_open),
            Route::Skips(why) => return out.excluded.push(format!("{label}: {why}")),
            Route::NotSeen => {
                if t.labels.get(INCLUDE_LABEL).map(String::as_str) != Some("true") {
                    return out.excluded.push(format!(
                        "{label}: namespace {} lacks label {INCLUDE_LABEL}=true",
                        t.namespace
                    ));
                }
                (None, false)
            }
        };
    let notes = &mut out.unreadable;
    // Defaulted to "enforce"; only "warn" admits with a warning.
    let action = match str_at(spec, "mode") {
        Some("warn") => Action::Warn,
        _ => Action::Enforce,
    };
    let authorities = match items(spec, "authorities", label, notes) {
        Ok(a) => a,
        Err(e) => return notes.push(format!("{label}: {e}")),
    };
    // One coverage per signature format: each authority is an alternative (one passing admits
    // the image), so the authorities reading the same format pool their keys.
    let mut groups: Vec<(Format, Vec<String>, Trust)> = Vec::new();
    for (i, a) in authorities.iter().enumerate() {
        if !a.is_object() {
            notes.push(format!("{label}: authority {i} is not an object"));
            continue;
        }
        let format = match str_at(a, "signatureFormat") {
            Some("bundle") => Format::Bundle,
            _ => Format::Legacy,
        };
        let at = match groups.iter().position(|g| g.0 == format) {
            Some(at) => at,
            None => {
                groups.push((format, Vec::new(), Trust::default()));
                groups.len() - 1
            }
        };
        let (_, names, trust) = &mut groups[at];
        names.push(
            str_at(a, "name")
                .filter(|n| !n.is_empty())
                .map_or_else(|| format!("authority-{i}"), str::to_string),
        );
        let key = a.get("key").filter(|k| k.is_object());
        let data = key.and_then(|k| str_at(k, "data").filter(|d| !d.is_empty()));
        if let Some(data) = data {
            trust.add_pem(label, data);
        }
        let key_elsewhere =
            key.is_some_and(|k| present(k.get("kms")) || present(k.get("secretRef")));
        // `static: {action: pass}` admits anything; `fail` admits nothing, so adds no trust.
        let action = a.get("static").and_then(|s| str_at(s, "action"));
        // Without a PEM key, whatever the authority trusts (keyless, KMS, a secret, a static
        // pass, a field kaudit does not know) is beyond kaudit's keys.
        let keyless = a.get("keyless").filter(|k| k.is_object());
        if let Some(k) = keyless {
            // Unreadable identities are trust kaudit cannot check (an empty list below).
            let identities = items(k, "identities", label, notes).unwrap_or(&[]);
            let own = ["ca-cert", "trustRootRef", "insecureIgnoreSCT"]
                .iter()
                .any(|f| present(k.get(*f)))
                || str_at(k, "url")
                    .is_some_and(|u| u.trim_end_matches('/') != "https://fulcio.sigstore.dev")
                || present(a.get("ctlog"));
            trust.add_keyless(label, &identities.iter().collect::<Vec<_>>(), own);
        }
        trust.other |= key_elsewhere
            || action == Some("pass")
            || (data.is_none() && keyless.is_none() && action != Some("fail"));
    }
    let several = groups.len() > 1;
    if groups.is_empty() {
        // No authority: `ValidatePolicy` finds no match and the policy fails every image.
        groups.push((Format::Legacy, Vec::new(), Trust::default()));
    }
    for (format, names, trust) in groups {
        out.covering.push(Coverage {
            engine: Engine::PolicyController,
            policy: label.to_string(),
            rule: names.join(", "),
            action,
            format,
            keys: trust.keys,
            identities: trust.identities,
            // Another format's authorities may admit what this format's keys do not.
            other_trust: trust.other || several,
            fails_open,
            webhook: webhook.clone(),
            verify_digest: true,
            mutate_digest: true,
        });
    }
}

/// `spec.match[]` entries name resources (`GetMatchingPolicies`); a label selector on the
/// resource is unknown here and taken to apply.
fn about_pods(m: &Value) -> bool {
    str_at(m, "resource").is_some_and(|r| POD_RESOURCES.contains(&r))
}

/// `Compile`: `*` and `*/*` stand for Docker Hub, then only `[A-Za-z0-9-_:/*.@]` is allowed.
fn compile(glob: &str) -> Result<Pattern, String> {
    if glob.len() > MAX_PATTERN {
        return Err(format!("a glob of {} bytes was ignored", glob.len()));
    }
    let glob = match glob {
        "*/*" => "index.docker.io/*/*",
        "*" => "index.docker.io/library/*",
        g => g,
    };
    let valid = glob
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_:/*.@".contains(c));
    if !valid {
        return Err(format!("invalid glob {glob:?}"));
    }
    Ok(Pattern::glob(glob))
}
