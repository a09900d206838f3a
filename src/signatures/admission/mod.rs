//! Which admission policies enforce image signatures for one image in one namespace: Kyverno
//! `ClusterPolicy`/`Policy` `verifyImages` rules, Kyverno `ImageValidatingPolicy` objects and
//! Sigstore policy-controller `ClusterImagePolicy` objects, read from the cluster as raw JSON;
//! and, next to them, which Gatekeeper constraints restrict the image's repository or tag.
//! Pure: each engine's matching is reproduced from its source (cited in `kyverno`,
//! `kyverno_ivp`, `sigstore` and `gatekeeper`), and when the cluster's webhook configurations
//! were read (`webhooks`) a policy counts only where its engine's webhook sends the pod.
//!
//! Policies come from the cluster and are not trusted to be well formed: nothing here panics on
//! any JSON shape, lists are read up to [`MAX_ITEMS`] entries and patterns up to
//! [`MAX_PATTERN`] bytes, and the pattern matcher runs in time linear in pattern × image.

mod gatekeeper;
mod glob;
mod kyverno;
mod kyverno_ivp;
mod sigstore;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_gatekeeper;
#[cfg(test)]
mod tests_ivp;
#[cfg(test)]
mod tests_keyless;
#[cfg(test)]
mod tests_webhooks;
mod webhooks;

pub use gatekeeper::{RepoConstraint, RepoConstraints, Restriction};

use crate::image_ref::{DOCKER_HUB, ImageRef};
use crate::inventory::{AdmissionPolicy, Inventory};
use crate::signatures::keys::TrustedKey;
use crate::signatures::trust::Identity;
use serde_json::Value;
use std::collections::BTreeMap;
use webhooks::Webhooks;

/// Entries read from any one list of a policy (rules, patterns, attestors, selectors...).
const MAX_ITEMS: usize = 1_000;
/// Longer image patterns are ignored: no real image name comes close.
const MAX_PATTERN: usize = 1_024;
/// Longer image strings are not references anyone can pull; nothing is matched against them.
const MAX_IMAGE: usize = 4_096;
/// A `publicKeys` field holds a few PEM blocks; past this it is not read.
const MAX_PEM_TEXT: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    Kyverno,
    PolicyController,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Enforce,
    Audit,
    Warn,
}

/// Which signature format the rule's verifier reads (for a signature: which format it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Legacy,
    Bundle,
    Notary,
    /// Either cosign format: Kyverno's ImageValidatingPolicy cosign verifier looks for bundle
    /// referrers and falls back to `.sig` tags
    /// (kyverno:pkg/image/verifiers/ivpol/cosign/verifier.go).
    LegacyOrBundle,
}

impl Format {
    /// Whether a verifier reading `self` reads a signature in `signature`'s format.
    pub fn reads(self, signature: Format) -> bool {
        self == signature
            || (self == Format::LegacyOrBundle
                && matches!(signature, Format::Legacy | Format::Bundle))
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub engine: Engine,
    /// `ClusterPolicy require-signed`, `Policy shop/verify`, `ClusterImagePolicy signed`.
    pub policy: String,
    /// The rule (Kyverno rule name) or authority list it comes from; "" when none.
    pub rule: String,
    pub action: Action,
    pub format: Format,
    /// Public keys written in the policy (Kyverno attestors' `keys.publicKeys`,
    /// policy-controller `authorities[].key.data`), named `<policy> key <n>`.
    #[serde(skip)]
    pub keys: Vec<TrustedKey>,
    /// Keyless signers written in the policy (Kyverno's `keyless` attestors, policy-controller
    /// `keyless.identities`), verifiable against the public-good trust root.
    #[serde(skip)]
    pub identities: Vec<Identity>,
    /// The policy also accepts keyless signers of its own infrastructure or keys kaudit cannot read (KMS, secrets): a
    /// signature its keys do not verify may still pass there.
    pub other_trust: bool,
    /// The webhook fails open (`failurePolicy: Ignore` on the policy, or on every webhook of
    /// its engine that selects the namespace).
    pub fails_open: bool,
    /// The webhook that sends the pod to the engine; `None` when no webhook configuration was
    /// read (nothing is known then: "webhook not seen").
    pub webhook: Option<String>,
    /// Kyverno's `verifyDigest` / `mutateDigest` (both default true); policy-controller always
    /// resolves to a digest (true, true).
    pub verify_digest: bool,
    pub mutate_digest: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverages {
    /// Every policy rule that checks this image in this namespace.
    pub covering: Vec<Coverage>,
    /// Policies whose image patterns match but that skip this namespace, each with why
    /// (`ClusterImagePolicy signed: namespace shop lacks label policy.sigstore.dev/include=true`,
    /// Kyverno's default resourceFilters for kube-system/kube-public/kube-node-lease, a rule's
    /// exclude or match namespaces).
    pub excluded: Vec<String>,
    /// Policies that could not be read (a malformed spec), with why; never silently ignored.
    pub unreadable: Vec<String>,
    /// Gatekeeper constraints on the image's repository or tag (they verify no signature).
    pub repos: RepoConstraints,
}

impl Coverages {
    /// The strongest action among covering rules (Enforce > Audit > Warn), None when nothing
    /// covers.
    pub fn strongest(&self) -> Option<Action> {
        // `Action` is declared strongest first, so the strongest is the smallest.
        self.covering.iter().map(|c| c.action).min()
    }
}

/// The cluster's admission objects, with its webhook configurations read once.
pub struct Admission<'a> {
    objects: &'a [AdmissionPolicy],
    webhooks: Webhooks,
    /// What the webhook configurations' reading noted, repeated in every answer.
    notes: Vec<String>,
}

impl<'a> Admission<'a> {
    /// `webhooks_listed`: the source listed webhook configurations (a live read, even of an
    /// empty list); without that, and without any in `objects`, routes are "not seen".
    pub fn new(objects: &'a [AdmissionPolicy], webhooks_listed: bool) -> Self {
        let mut notes = Vec::new();
        let webhooks = Webhooks::read(objects, webhooks_listed, &mut notes);
        Admission {
            objects,
            webhooks,
            notes,
        }
    }

    /// The inventory's admission objects; webhook configurations count as listed when the
    /// source read either kind.
    pub fn of(inventory: &'a Inventory) -> Self {
        let listed = [webhooks::VALIDATING, webhooks::MUTATING]
            .iter()
            .any(|k| inventory.kinds_seen.contains(*k));
        Admission::new(&inventory.admission_policies, listed)
    }
}

/// `image` exactly as the pod spec writes it; `namespace` the pod's; `labels` that namespace's
/// labels (empty when unknown).
pub fn coverage(
    admission: &Admission<'_>,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    image: &str,
) -> Coverages {
    let mut out = Coverages {
        unreadable: admission.notes.clone(),
        ..Coverages::default()
    };
    // An image no engine can parse is rejected or errors out in each of them before any
    // pattern is looked at; there is nothing to match.
    let Some(image) = Image::parse(image) else {
        return out;
    };
    let mut labels = labels.clone();
    // The API server sets this label on every namespace (since Kubernetes 1.21), so selectors
    // on it work even when the caller does not know the namespace's labels.
    labels
        .entry("kubernetes.io/metadata.name".into())
        .or_insert_with(|| namespace.to_string());
    let target = Target {
        namespace,
        labels,
        image,
        webhooks: &admission.webhooks,
    };
    for policy in admission.objects {
        let group = policy.api_version.split('/').next().unwrap_or("");
        match (policy.kind.as_str(), group) {
            ("ClusterPolicy" | "Policy", "kyverno.io") => {
                kyverno::evaluate(policy, &label(policy), &target, &mut out)
            }
            (
                "ImageValidatingPolicy" | "NamespacedImageValidatingPolicy",
                "policies.kyverno.io",
            ) => kyverno_ivp::evaluate(policy, &label(policy), &target, &mut out),
            ("ClusterImagePolicy", "policy.sigstore.dev") => {
                sigstore::evaluate(policy, &label(policy), &target, &mut out)
            }
            (_, "constraints.gatekeeper.sh") => {
                gatekeeper::evaluate(policy, &label(policy), &target, &mut out)
            }
            // Webhook configurations were read above; other kinds carry no image rule this
            // module knows how to read.
            _ => {}
        }
    }
    out
}

/// `Policy shop/verify` for namespaced objects, `ClusterPolicy require-signed` otherwise.
fn label(policy: &AdmissionPolicy) -> String {
    if policy.namespace.is_empty() {
        format!("{} {}", policy.kind, policy.name)
    } else {
        format!("{} {}/{}", policy.kind, policy.namespace, policy.name)
    }
}

/// The pod's side of the question, and the webhooks that may carry it to an engine.
struct Target<'a> {
    namespace: &'a str,
    labels: BTreeMap<String, String>,
    image: Image,
    webhooks: &'a Webhooks,
}

/// The image string each engine matches its patterns against.
#[derive(Debug, PartialEq, Eq)]
struct Image {
    /// As the pod spec writes it: what Gatekeeper's Rego and Kyverno's ImageValidatingPolicy
    /// globs compare.
    raw: String,
    /// Kyverno's `ImageInfo.String()` (kyverno:pkg/utils/image/infos.go `GetImageInfo`,
    /// `addDefaultRegistry`): the default registry added, no `library/`, `:latest` when there is
    /// neither tag nor digest, and only the digest when there is one.
    kyverno: String,
    /// go-containerregistry's `name.ParseReference(image).Name()`, which policy-controller
    /// hands to the glob (policy-controller:pkg/webhook/validator.go `validateContainerImage`).
    ggcr: String,
}

impl Image {
    fn parse(image: &str) -> Option<Image> {
        if image.len() > MAX_IMAGE {
            return None;
        }
        // ImageRef splits tag and digest as both engines do (digest after the first `@`, tag
        // after the last `:` past the last `/`); the name is rebuilt from the raw string since
        // each engine applies its own registry defaults.
        let r = ImageRef::parse(image)?;
        let mut name = image.trim();
        if let Some(d) = &r.digest {
            name = name.get(..name.len().checked_sub(d.len() + 1)?)?;
        }
        if let Some(t) = &r.tag {
            name = name.get(..name.len().checked_sub(t.len() + 1)?)?;
        }
        let suffix = match (&r.digest, &r.tag) {
            (Some(d), _) => format!("@{d}"),
            (None, Some(t)) => format!(":{t}"),
            (None, None) => ":latest".into(),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.to_lowercase() != first =>
            {
                (first, rest)
            }
            _ => (DOCKER_HUB, name),
        };
        let kyverno = format!("{registry}/{path}{suffix}");
        // ggcr (pkg/name/repository.go, registry.go): only a first component with `.` or `:`
        // is a registry (`localhost` is not), `docker.io` becomes `index.docker.io`, and Docker
        // Hub's one-component names get `library/`.
        let (registry, repo) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) => (first, rest),
            _ => (GGCR_HUB, name),
        };
        let registry = if registry == DOCKER_HUB {
            GGCR_HUB
        } else {
            registry
        };
        let ggcr = if registry == GGCR_HUB && !repo.contains('/') {
            format!("{registry}/library/{repo}{suffix}")
        } else {
            format!("{registry}/{repo}{suffix}")
        };
        Some(Image {
            raw: image.to_string(),
            kyverno,
            ggcr,
        })
    }
}

const GGCR_HUB: &str = "index.docker.io";

/// One compiled image or namespace pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// Exactly one character.
    One,
    /// Any run of characters; `false` when the run may not contain `/`.
    Star(bool),
}

/// A wildcard pattern matched by simulating all positions at once (an NFA over the tokens):
/// work is bounded by pattern × text length whatever the pattern, where the Go engines'
/// recursive matchers can go exponential on `*a*a*a*...b`.
#[derive(Debug, Clone)]
struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    /// Kyverno's wildcard (github.com/IGLOU-EU/go-wildcard v1.0.3 via kyverno:ext/wildcard):
    /// `*` any run including `/` and `:`, `?` exactly one character, the rest literal.
    fn wildcard(pattern: &str) -> Pattern {
        Pattern::build(pattern.chars().map(|c| match c {
            '*' => Tok::Star(true),
            '?' => Tok::One,
            c => Tok::Lit(c),
        }))
    }

    /// policy-controller's glob after `Compile` (policy-controller:pkg/apis/glob/glob.go):
    /// `**` becomes `.*`, then each remaining `*` becomes `[^/]*`, everything else literal,
    /// anchored at both ends. The caller validates the characters first.
    fn glob(pattern: &str) -> Pattern {
        let chars: Vec<char> = pattern.chars().collect();
        let mut toks = Vec::with_capacity(chars.len());
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '*' && chars.get(i + 1) == Some(&'*') {
                toks.push(Tok::Star(true));
                i += 2;
            } else {
                toks.push(if chars[i] == '*' {
                    Tok::Star(false)
                } else {
                    Tok::Lit(chars[i])
                });
                i += 1;
            }
        }
        Pattern::build(toks.into_iter())
    }

    /// Adjacent stars are one star (crossing `/` if either does): fewer states, same language.
    fn build(toks: impl Iterator<Item = Tok>) -> Pattern {
        let mut out: Vec<Tok> = Vec::new();
        for t in toks {
            if let (Tok::Star(b), Some(Tok::Star(a))) = (t, out.last_mut()) {
                *a |= b;
                continue;
            }
            out.push(t);
        }
        Pattern { toks: out }
    }

    fn matches(&self, text: &str) -> bool {
        let n = self.toks.len();
        let mut cur = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        cur[0] = true;
        self.close(&mut cur);
        for c in text.chars() {
            next.fill(false);
            let mut alive = false;
            for i in (0..n).filter(|&i| cur[i]) {
                match self.toks[i] {
                    Tok::Lit(l) if l == c => next[i + 1] = true,
                    Tok::One => next[i + 1] = true,
                    Tok::Star(cross) if cross || c != '/' => next[i] = true,
                    _ => continue,
                }
                alive = true;
            }
            if !alive {
                return false;
            }
            self.close(&mut next);
            std::mem::swap(&mut cur, &mut next);
        }
        cur[n]
    }

    /// A star may match nothing: being before it is also being after it.
    fn close(&self, states: &mut [bool]) {
        for i in 0..self.toks.len() {
            if states[i] && matches!(self.toks[i], Tok::Star(_)) {
                states[i + 1] = true;
            }
        }
    }
}

/// The list at `key`: missing or null is empty; anything but a list is an error. Read up to
/// [`MAX_ITEMS`] entries; the rest is noted in `unreadable` by the caller through `notes`.
fn items<'v>(
    v: &'v Value,
    key: &str,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<&'v [Value], String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => {
            if a.len() > MAX_ITEMS {
                notes.push(format!(
                    "{what}: `{key}` has {} entries; only the first {MAX_ITEMS} were read",
                    a.len()
                ));
            }
            Ok(&a[..a.len().min(MAX_ITEMS)])
        }
        Some(_) => Err(format!("`{key}` is not a list")),
    }
}

/// The strings at `key` (a list of strings; missing is empty).
fn strings<'v>(
    v: &'v Value,
    key: &str,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<&'v str>, String> {
    items(v, key, what, notes)?
        .iter()
        .map(|s| {
            s.as_str()
                .ok_or_else(|| format!("`{key}` holds something else than strings"))
        })
        .collect()
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// A field is present in the sense Go's `omitempty` gives it: not null, not an empty string,
/// list or object.
fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(_)) => true,
    }
}

/// A Kubernetes `LabelSelector` against labels (apimachinery `LabelSelectorAsSelector`): every
/// `matchLabels` pair and every `matchExpressions` requirement must hold; `{}` selects all.
fn selects(
    selector: &Value,
    labels: &BTreeMap<String, String>,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<bool, String> {
    if !selector.is_object() {
        return Err("a label selector is not an object".into());
    }
    match selector.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m.iter().take(MAX_ITEMS) {
                let v = v.as_str().ok_or("a matchLabels value is not a string")?;
                if labels.get(k).map(String::as_str) != Some(v) {
                    return Ok(false);
                }
            }
        }
        Some(_) => return Err("matchLabels is not an object".into()),
    }
    for e in items(selector, "matchExpressions", what, notes)? {
        let key = str_at(e, "key").ok_or("a matchExpressions entry has no key")?;
        let values = strings(e, "values", what, notes)?;
        let value = labels.get(key).map(String::as_str);
        let holds = match str_at(e, "operator").unwrap_or("") {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => !value.is_some_and(|v| values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            other => return Err(format!("unknown selector operator {other:?}")),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The keys and keyless signers a rule or authority trusts, and whether it trusts anything
/// else.
#[derive(Debug, Default)]
struct Trust {
    keys: Vec<TrustedKey>,
    identities: Vec<Identity>,
    other: bool,
}

impl Trust {
    /// A keyless attestor's identities (`subject`, `subjectRegExp`, `issuer`,
    /// `issuerRegExp` each). Verifiable only against Sigstore's public-good instance: an
    /// attestor with roots, logs or keys of its own (`own_infrastructure`), or one that relaxes
    /// the checks, is trust kaudit cannot check; so is an identity naming nothing.
    fn add_keyless(&mut self, policy: &str, identities: &[&Value], own_infrastructure: bool) {
        if own_infrastructure || identities.is_empty() {
            self.other = true;
            return;
        }
        for id in identities.iter().take(MAX_ITEMS) {
            let field = |k: &str| str_at(id, k).filter(|v| v.len() <= MAX_PATTERN);
            match Identity::from_policy(
                policy,
                field("subject"),
                field("subjectRegExp"),
                field("issuer"),
                field("issuerRegExp"),
            ) {
                Ok(Some(identity)) => self.identities.push(identity),
                _ => self.other = true,
            }
        }
    }

    /// Every PEM block in `text`. Text without one (a `k8s://` or `kms://` reference, a
    /// template variable) and blocks that do not parse are trust kaudit cannot check.
    fn add_pem(&mut self, policy: &str, text: &str) {
        if text.len() > MAX_PEM_TEXT {
            self.other = true;
            return;
        }
        let mut found = false;
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN ") {
            let block = &rest[start..];
            // The END line's own closing dashes end the block.
            let Some(end) = block
                .find("-----END ")
                .and_then(|e| block[e + 9..].find("-----").map(|d| e + 9 + d + 5))
            else {
                break;
            };
            found = true;
            if self.keys.len() >= MAX_ITEMS {
                self.other = true;
                break;
            }
            let name = format!("{policy} key {}", self.keys.len() + 1);
            match TrustedKey::from_pem(&name, &block[..end]) {
                Ok(key) => self.keys.push(key),
                Err(_) => self.other = true,
            }
            rest = &block[end..];
        }
        if !found {
            self.other = true;
        }
    }
}
