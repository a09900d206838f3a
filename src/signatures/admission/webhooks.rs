//! Which admission webhook sends a pod to each engine (admissionregistration.k8s.io/v1
//! `ValidatingWebhookConfiguration` / `MutatingWebhookConfiguration`): a policy enforces
//! nothing in a namespace its engine's webhook does not select, and it fails open there when
//! that webhook's `failurePolicy` is `Ignore`.
//!
//! Engines are recognised by the webhook names they register:
//! - Kyverno (kyverno:pkg/config/config.go): `validate.kyverno.svc-fail|-ignore[-finegrained-*]`
//!   and `mutate.kyverno.svc-*` in `kyverno-resource-{validating,mutating}-webhook-cfg` for
//!   `ClusterPolicy`/`Policy` (verifyImages runs in both), `ivpol.validate.kyverno.svc-*` and
//!   `ivpol.mutate.kyverno.svc-*` for (Namespaced)ImageValidatingPolicies
//!   (pkg/controllers/webhook/controller.go);
//! - policy-controller (policy-controller:config/500-webhook-configuration.yaml): the webhook
//!   `policy.sigstore.dev`;
//! - Gatekeeper (gatekeeper:charts/gatekeeper): `validation.gatekeeper.sh` in
//!   `gatekeeper-validating-webhook-configuration`.
//!
//! When no webhook configuration was read at all (manifests without them, or a cluster that
//! would not show them), nothing is concluded: the route is "not seen".

use super::{AdmissionPolicy, MAX_ITEMS, selects, str_at, strings};
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) const VALIDATING: &str = "ValidatingWebhookConfiguration";
pub(super) const MUTATING: &str = "MutatingWebhookConfiguration";
const GROUP: &str = "admissionregistration.k8s.io";

/// Whether an admission object is a webhook configuration.
pub(super) fn is_webhook_configuration(policy: &AdmissionPolicy) -> bool {
    policy.api_version.split('/').next() == Some(GROUP)
        && (policy.kind == VALIDATING || policy.kind == MUTATING)
}

/// Whose webhook it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// Kyverno's `ClusterPolicy` / `Policy`.
    KyvernoPolicies,
    /// Kyverno's (Namespaced)ImageValidatingPolicy.
    KyvernoImagePolicies,
    PolicyController,
    Gatekeeper,
}

impl Owner {
    fn owns(self, webhook: &str) -> bool {
        match self {
            Owner::KyvernoPolicies => {
                webhook.starts_with("validate.kyverno.svc")
                    || webhook.starts_with("mutate.kyverno.svc")
            }
            Owner::KyvernoImagePolicies => {
                // Namespaced ones share these names (only the service path differs).
                webhook.starts_with("ivpol.validate.kyverno.svc")
                    || webhook.starts_with("ivpol.mutate.kyverno.svc")
            }
            Owner::PolicyController => webhook == "policy.sigstore.dev",
            Owner::Gatekeeper => webhook == "validation.gatekeeper.sh",
        }
    }

    fn engine(self) -> &'static str {
        match self {
            Owner::KyvernoPolicies => "Kyverno policy",
            Owner::KyvernoImagePolicies => "Kyverno ImageValidatingPolicy",
            Owner::PolicyController => "policy-controller",
            Owner::Gatekeeper => "Gatekeeper",
        }
    }
}

/// One webhook of a configuration.
#[derive(Debug)]
struct Hook {
    /// `mutate.kyverno.svc-fail (MutatingWebhookConfiguration kyverno-resource-mutating-webhook-cfg)`.
    label: String,
    name: String,
    fails_open: bool,
    namespace_selector: Option<Value>,
    /// Its rules take the creation of pods.
    takes_pods: bool,
}

/// Every webhook read, and whether any configuration was read at all.
#[derive(Debug, Default)]
pub(super) struct Webhooks {
    read: bool,
    hooks: Vec<Hook>,
}

/// How pods of a namespace reach an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    /// No webhook configuration was read: nothing is known.
    NotSeen,
    /// Through this webhook; `fails_open` when every webhook that selects the namespace has
    /// `failurePolicy: Ignore`.
    Via { webhook: String, fails_open: bool },
    /// No webhook of the engine sends these pods: why.
    Skips(String),
}

impl Webhooks {
    /// `seen` says a source listed webhook configurations even if it found none (a live read
    /// of an empty list): then a missing webhook is known to be missing.
    pub(super) fn read(objects: &[AdmissionPolicy], seen: bool, notes: &mut Vec<String>) -> Self {
        let mut out = Webhooks {
            read: seen,
            hooks: Vec::new(),
        };
        for config in objects.iter().filter(|o| is_webhook_configuration(o)) {
            out.read = true;
            let what = format!("{} {}", config.kind, config.name);
            let list = match config.value.get("webhooks") {
                None | Some(Value::Null) => continue,
                Some(Value::Array(list)) => list,
                Some(_) => {
                    notes.push(format!("{what}: `webhooks` is not a list"));
                    continue;
                }
            };
            for w in list.iter().take(MAX_ITEMS) {
                let Some(name) = str_at(w, "name") else {
                    notes.push(format!("{what}: a webhook has no name"));
                    continue;
                };
                if out.hooks.len() >= MAX_ITEMS {
                    notes.push(format!(
                        "{what}: more than {MAX_ITEMS} webhooks; not all read"
                    ));
                    return out;
                }
                out.hooks.push(Hook {
                    label: format!("{name} ({what})"),
                    name: name.to_string(),
                    // The v1 default is Fail.
                    fails_open: str_at(w, "failurePolicy") == Some("Ignore"),
                    namespace_selector: w
                        .get("namespaceSelector")
                        .filter(|s| !s.is_null())
                        .cloned(),
                    takes_pods: takes_pods(w, &what, notes),
                });
            }
        }
        out
    }

    /// How pods in `namespace` (with `labels`) reach `owner`'s engine. A webhook's
    /// `objectSelector` and `matchConditions` depend on the pod: taken to apply.
    pub(super) fn route(
        &self,
        owner: Owner,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        notes: &mut Vec<String>,
    ) -> Route {
        if !self.read {
            return Route::NotSeen;
        }
        let own: Vec<&Hook> = self.hooks.iter().filter(|h| owner.owns(&h.name)).collect();
        if own.is_empty() {
            return Route::Skips(format!(
                "no {} webhook was found among the webhook configurations read: nothing sends pods to it",
                owner.engine()
            ));
        }
        let for_pods: Vec<&Hook> = own.into_iter().filter(|h| h.takes_pods).collect();
        if for_pods.is_empty() {
            return Route::Skips(format!(
                "no {} webhook's rules take the creation of pods",
                owner.engine()
            ));
        }
        let mut selecting = Vec::new();
        let mut skipping = Vec::new();
        for h in for_pods {
            let selected = match &h.namespace_selector {
                None => true,
                Some(sel) => match selects(sel, labels, &h.label, notes) {
                    Ok(s) => s,
                    Err(e) => {
                        // The API server refuses such a selector; if one is there anyway
                        // it is not known to skip anything.
                        notes.push(format!("webhook {}: namespaceSelector: {e}", h.label));
                        true
                    }
                },
            };
            if selected {
                selecting.push(h);
            } else {
                skipping.push(h);
            }
        }
        match selecting.first() {
            Some(first) => Route::Via {
                webhook: first.label.clone(),
                fails_open: selecting.iter().all(|h| h.fails_open),
            },
            None => Route::Skips(format!(
                "webhook {}'s namespaceSelector skips namespace {namespace}",
                skipping.first().map_or("", |h| h.label.as_str())
            )),
        }
    }
}

/// Whether one of the webhook's `rules` takes CREATE of `pods` in the core group.
fn takes_pods(webhook: &Value, what: &str, notes: &mut Vec<String>) -> bool {
    let rules = match webhook.get("rules") {
        Some(Value::Array(rules)) => rules,
        _ => return false,
    };
    rules.iter().take(MAX_ITEMS).any(|rule| {
        let list = |key: &str, notes: &mut Vec<String>| {
            strings(rule, key, what, notes).unwrap_or_else(|e| {
                notes.push(format!("{what}: {e}"));
                Vec::new()
            })
        };
        let groups = list("apiGroups", notes);
        let operations = list("operations", notes);
        let resources = list("resources", notes);
        groups.iter().any(|g| g.is_empty() || *g == "*")
            && operations.iter().any(|o| *o == "CREATE" || *o == "*")
            && resources
                .iter()
                .any(|r| *r == "pods" || *r == "*" || *r == "*/*")
    })
}
