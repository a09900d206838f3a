//! Image signatures where images run (SIG001-SIG005): whether each running image carries a
//! trusted signature, and whether the cluster's admission policies enforce one in its
//! namespace (and fail closed). The policies' coverage is judged from the policies alone; what
//! needs the images' signatures is not evaluated until they were verified
//! (`--verify-signatures`). SIG006-SIG007: the Gatekeeper constraints on the image's
//! repository and tag, which verify nothing but decide which images get in at all.

use super::{ScanConfig, container_subject, describe, evidence, input};
use crate::findings::message::msg;
use crate::findings::{Message, PodField, Recorder};
use crate::inventory::{Inventory, Workload};
use crate::pss::PodView;
use crate::signatures::admission::{
    self, Action, Coverage, Format, RepoConstraint, RepoConstraints, Restriction,
};
use crate::signatures::{Status, Verdict};
use foldhash::HashMap;
use std::collections::BTreeMap;

/// [`crate::checks::run_all`]'s signature checks of one workload.
/// The admission policies, read once per audit, and what they decide for each image in each
/// namespace, worked out once: a cluster runs the same image in many pods, and walking every
/// policy for each costs more than all the other checks together.
pub struct Policies<'a> {
    admission: admission::Admission<'a>,
    decided: HashMap<std::sync::Arc<str>, HashMap<Box<str>, admission::Coverages>>,
}

impl<'a> Policies<'a> {
    pub fn of(inv: &'a Inventory) -> Self {
        Policies {
            admission: admission::Admission::of(inv),
            decided: HashMap::default(),
        }
    }

    fn coverage(
        &mut self,
        namespace: &std::sync::Arc<str>,
        labels: &BTreeMap<String, String>,
        image: &str,
    ) -> &admission::Coverages {
        let admission = &self.admission;
        let images = self.decided.entry(namespace.clone()).or_default();
        if !images.contains_key(image) {
            let decided = admission::coverage(admission, namespace, labels, image);
            images.insert(image.into(), decided);
        }
        &images[image]
    }
}

pub fn check(
    inv: &Inventory,
    w: &Workload,
    view: &PodView<'_>,
    config: &ScanConfig,
    policies: &mut Policies<'_>,
    rec: &mut Recorder,
) {
    let no_labels = BTreeMap::new();
    let labels = inv
        .namespaces
        .get(&*w.namespace)
        .map_or(&no_labels, |n| &n.labels);
    for c in &view.containers {
        let Some(raw) = c.image.filter(|i| !i.is_empty()) else {
            continue;
        };
        let subject = || container_subject(w, c);
        let image_evidence = || {
            vec![evidence(
                w,
                PodField::Container(c.pointer(), "/image"),
                raw.to_string(),
            )]
        };
        let coverages = policies.coverage(&w.namespace, labels, raw);
        let enforcing: Vec<&Coverage> = coverages
            .covering
            .iter()
            .filter(|c| c.action == Action::Enforce)
            .collect();
        // SIG002 and SIG004 need only the policies.
        rec.decide(
            "SIG002",
            (!coverages.covering.is_empty() && enforcing.is_empty()).then(|| {
                let lenient: Vec<String> = coverages
                    .covering
                    .iter()
                    .map(|c| format!("{} ({})", c.policy, action_word(c.action)))
                    .collect();
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(
                            " is checked for signatures only by policies that admit it anyway: {}",
                            lenient.join(", ")
                        )
                        .into(),
                    ),
                    image_evidence(),
                )
            }),
        );
        let pinned = crate::image_ref::ImageRef::parse(raw).is_some_and(|r| r.is_pinned());
        let by_tag = enforcing
            .iter()
            .find(|c| !pinned && (!c.verify_digest || !c.mutate_digest));
        rec.decide(
            "SIG004",
            by_tag.map(|c| {
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(
                            " is verified by {} but kept by tag (verifyDigest {}, mutateDigest {}): the tag can move after admission",
                            c.policy,
                            c.verify_digest,
                            c.mutate_digest
                        )
                        .into(),
                    ),
                    image_evidence(),
                )
            }),
        );
        // An enforcing policy behind a webhook that fails closed is enough.
        let all_open = !enforcing.is_empty() && enforcing.iter().all(|c| c.fails_open);
        rec.decide(
            "SIG005",
            all_open.then(|| {
                let open: Vec<String> = enforcing.iter().map(|c| fails_open_why(c)).collect();
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(
                            " is enforced only by policies that fail open: {}",
                            open.join("; ")
                        )
                        .into(),
                    ),
                    image_evidence(),
                )
            }),
        );
        let repo_finding =
            |m: String| input(subject(), w, Message::Image(m.into()), image_evidence());
        rec.decide(
            "SIG006",
            breaks_constraint(&coverages.repos).map(repo_finding),
        );
        rec.decide("SIG007", unrestricted(&coverages.repos).map(repo_finding));
        let verdict = match config.signatures.as_deref() {
            None => {
                for rule in ["SIG001", "SIG003"] {
                    rec.not_evaluated(
                        rule,
                        msg!("{} container {:?}", describe(w), c.name),
                        "no signature verification ran (--verify-signatures, with --key FILE for your keys; the policies' own keys are used too)",
                    );
                }
                continue;
            }
            Some(facts) => {
                facts.get_running(raw, w.running_image_ids.get(c.name).map(String::as_str))
            }
        };
        let Some(verdict) = verdict.filter(|v| v.status != Status::Error) else {
            let reason = match (verdict, config.signatures.as_deref()) {
                (Some(v), _) => v.reason.clone(),
                (None, Some(facts)) => format!("no verdict for this image in {}", facts.source),
                (None, None) => "this image's signatures were not verified".to_string(),
            };
            for rule in ["SIG001", "SIG003"] {
                rec.not_evaluated(
                    rule,
                    msg!("{} container {:?}", describe(w), c.name),
                    reason.clone(),
                );
            }
            continue;
        };
        rec.decide(
            "SIG001",
            (verdict.status != Status::Verified && enforcing.is_empty()).then(|| {
                let mut why = "no admission policy enforces signatures here".to_string();
                if let Some(skip) = coverages.excluded.first() {
                    why = format!("{why} ({skip})");
                }
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(" is {}: {}; {why}", verdict.status.as_str(), verdict.reason).into(),
                    ),
                    image_evidence(),
                )
            }),
        );
        let finding = |why: String| {
            input(
                subject(),
                w,
                Message::Image(msg!(" runs although {why}").into()),
                image_evidence(),
            )
        };
        sig003(
            &enforcing,
            verdict,
            rec,
            &finding,
            msg!("{} container {:?}", describe(w), c.name),
        );
    }
}

/// SIG003: an enforcing policy whose keys and keyless signers do not verify the running
/// image. Policies that also trust what kaudit cannot check (their own Sigstore
/// infrastructure, KMS keys) or read a format kaudit does not verify (Notary) leave it not
/// evaluated.
fn sig003(
    enforcing: &[&Coverage],
    verdict: &Verdict,
    rec: &mut Recorder,
    finding: &dyn Fn(String) -> crate::findings::FindingInput,
    scope: String,
) {
    // Verified by one of the policy's own keys or keyless signers (by name: the same key
    // or identity may also be given under the user's name).
    let verified_in = |c: &Coverage, same_format: bool| {
        verdict.signatures.iter().any(|s| {
            s.status == Status::Verified
                && c.format.reads(s.format) == same_format
                && s.verified_by.iter().any(|k| {
                    c.keys.iter().any(|pk| &pk.name == k)
                        || c.identities.iter().any(|i| &i.name() == k)
                })
        })
    };
    let (judged, unjudged): (Vec<&&Coverage>, Vec<&&Coverage>) = enforcing
        .iter()
        .partition(|c| c.format != Format::Notary && !c.other_trust);
    let failing = judged.iter().find(|c| !verified_in(c, true));
    if failing.is_none()
        && let Some(c) = unjudged.iter().find(|c| !verified_in(c, true))
    {
        let why = if c.format == Format::Notary {
            "reads Notary signatures, which kaudit does not verify yet".to_string()
        } else {
            "also trusts keys or keyless signers kaudit cannot check (KMS, secrets, its own Fulcio roots or logs)".to_string()
        };
        rec.not_evaluated("SIG003", scope, format!("{} {why}", c.policy));
        return;
    }
    rec.decide(
        "SIG003",
        failing.map(|c| {
            let why = if verified_in(c, false) {
                format!(
                    "{} reads {} signatures and its keys verify only one in another format: a format mismatch",
                    c.policy,
                    crate::signatures::format_label(c.format)
                )
            } else {
                format!(
                    "{}'s {} verify none of its {} signatures ({})",
                    c.policy,
                    if c.identities.is_empty() {
                        "keys"
                    } else {
                        "keys and keyless signers"
                    },
                    crate::signatures::format_label(c.format),
                    verdict.reason
                )
            };
            finding(why)
        }),
    );
}

/// `ClusterPolicy p (failurePolicy Ignore; webhook not seen)`, `... (webhook X fails open)`.
fn fails_open_why(c: &Coverage) -> String {
    match &c.webhook {
        Some(webhook) => format!("{} (through webhook {webhook})", c.policy),
        None => format!("{} (failurePolicy Ignore; webhook not seen)", c.policy),
    }
}

/// SIG006: the first constraint covering the image that rejects it, deny first.
fn breaks_constraint(repos: &RepoConstraints) -> Option<String> {
    let failing = |r: &&RepoConstraint| !r.passes;
    let r = repos
        .applying
        .iter()
        .filter(failing)
        .find(|r| r.action == Action::Enforce)
        .or_else(|| repos.applying.iter().find(failing))?;
    Some(if r.action == Action::Enforce {
        let open = if r.fails_open {
            "; Gatekeeper's webhook fails open"
        } else {
            ""
        };
        format!(
            " runs although {} would reject it: {}{open}",
            r.constraint, r.why
        )
    } else {
        format!(
            " breaks {} ({}, so it is only reported): {}",
            r.constraint,
            gatekeeper_word(r.action),
            r.why
        )
    })
}

/// SIG007: Gatekeeper's image constraints are in use, yet no enforcing allow-list applies
/// here. A tag rule that admits the image by tag is said too.
fn unrestricted(repos: &RepoConstraints) -> Option<String> {
    if !repos.any() {
        return None;
    }
    let lists = || {
        repos
            .applying
            .iter()
            .filter(|r| r.restriction == Restriction::AllowedRepos)
    };
    // An enforcing list applies, or one the image fails: SIG006 says that.
    if lists().any(|r| r.action == Action::Enforce || !r.passes) {
        return None;
    }
    let why = lists()
        .next()
        .map(|r| format!("{} is {} only", r.constraint, gatekeeper_word(r.action)))
        .or_else(|| repos.skipped.first().cloned())
        .unwrap_or_else(|| "the constraints that apply restrict tags only".into());
    let by_tag: Vec<String> = repos
        .applying
        .iter()
        .filter(|r| r.passes && r.why.ends_with("not digest"))
        .map(|r| format!("; {}: {}", r.constraint, r.why))
        .collect();
    Some(format!(
        " may come from any repository: no enforcing allowed-repos constraint applies here ({why}){}",
        by_tag.concat()
    ))
}

/// Gatekeeper's own words for its enforcement actions.
fn gatekeeper_word(action: Action) -> &'static str {
    match action {
        Action::Enforce => "deny",
        Action::Audit => "dryrun",
        Action::Warn => "warn",
    }
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Enforce => "enforce",
        Action::Audit => "audit only",
        Action::Warn => "warn only",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraint(restriction: Restriction, action: Action, passes: bool) -> RepoConstraint {
        RepoConstraint {
            constraint: "K8sAllowedRepos c".into(),
            restriction,
            action,
            passes,
            why: if passes {
                "allowed by tag 1, not digest".into()
            } else {
                "repository not in the allowed list (x/)".into()
            },
            fails_open: true,
            webhook: None,
        }
    }

    fn repos(applying: Vec<RepoConstraint>, skipped: &[&str]) -> RepoConstraints {
        RepoConstraints {
            applying,
            skipped: skipped.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn sig006_prefers_a_denying_constraint() {
        assert_eq!(breaks_constraint(&repos(vec![], &[])), None);
        let audit = constraint(Restriction::AllowedRepos, Action::Audit, false);
        let deny = constraint(Restriction::DisallowedTags, Action::Enforce, false);
        let m = breaks_constraint(&repos(vec![audit.clone(), deny], &[])).unwrap();
        assert!(
            m.starts_with(" runs although K8sAllowedRepos c would reject it"),
            "{m}"
        );
        assert!(m.ends_with("Gatekeeper's webhook fails open"), "{m}");
        let m = breaks_constraint(&repos(vec![audit], &[])).unwrap();
        assert!(m.contains("(dryrun, so it is only reported)"), "{m}");
        let passing = constraint(Restriction::AllowedRepos, Action::Enforce, true);
        assert_eq!(breaks_constraint(&repos(vec![passing], &[])), None);
    }

    #[test]
    fn sig007_only_where_gatekeeper_is_in_use_and_nothing_enforces() {
        // No image constraint anywhere: Gatekeeper is not used for images; nothing to say.
        assert_eq!(unrestricted(&repos(vec![], &[])), None);
        let enforced = constraint(Restriction::AllowedRepos, Action::Enforce, true);
        assert_eq!(unrestricted(&repos(vec![enforced], &[])), None);
        // A failing list is SIG006's to report.
        let failing = constraint(Restriction::AllowedRepos, Action::Audit, false);
        assert_eq!(unrestricted(&repos(vec![failing], &[])), None);
        let dryrun = constraint(Restriction::AllowedRepos, Action::Audit, true);
        let m = unrestricted(&repos(vec![dryrun], &[])).unwrap();
        assert!(m.contains("(K8sAllowedRepos c is dryrun only)"), "{m}");
        let m = unrestricted(&repos(
            vec![],
            &["K8sAllowedRepos c: excludedNamespaces (kube-*) include kube-system"],
        ))
        .unwrap();
        assert!(m.contains("excludedNamespaces"), "{m}");
        // Tag rules alone restrict no repository; one that admits by tag says so.
        let tags = constraint(Restriction::DisallowedTags, Action::Enforce, true);
        let m = unrestricted(&repos(vec![tags], &[])).unwrap();
        assert!(
            m.contains("restrict tags only") && m.ends_with("allowed by tag 1, not digest"),
            "{m}"
        );
    }
}
