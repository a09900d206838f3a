//! Image reference hygiene (IMG001-IMG004) and known vulnerabilities (VUL001-VUL003).

use crate::findings::message::msg;

use super::{ScanConfig, container_subject, describe, evidence, input};
use crate::findings::{Message, PodField, Recorder};
use crate::image_ref::{ImageRef, allowed_by};
use crate::inventory::Workload;
use crate::pss::PodView;
use foldhash::HashMap;
use std::borrow::Cow;

/// Image references parsed so far: the same image runs in many workloads, and each
/// reference is parsed once.
#[derive(Default)]
pub struct Parsed<'a> {
    images: HashMap<&'a str, Option<ImageRef>>,
}

pub fn run<'a>(
    workloads: &[&Workload],
    views: &[PodView<'a>],
    config: &ScanConfig,
    rec: &mut Recorder,
) {
    let mut parsed = Parsed::default();
    for (w, view) in workloads.iter().zip(views) {
        check(w, view, config, &mut parsed, rec);
    }
}

/// [`run`] for one workload.
pub fn check<'a>(
    w: &Workload,
    view: &PodView<'a>,
    config: &ScanConfig,
    parsed: &mut Parsed<'a>,
    rec: &mut Recorder,
) {
    for c in &view.containers {
        let Some(raw) = c.image.filter(|i| !i.is_empty()) else {
            for rule in ["IMG001", "IMG002", "IMG003", "IMG004"] {
                rec.not_evaluated(
                    rule,
                    msg!("{} container {:?}", describe(w), c.name),
                    "no image set",
                );
            }
            continue;
        };
        let Some(image) = parsed
            .images
            .entry(raw)
            .or_insert_with(|| ImageRef::parse(raw))
        else {
            for rule in ["IMG001", "IMG002", "IMG003", "IMG004"] {
                rec.not_evaluated(
                    rule,
                    msg!("{} container {:?}", describe(w), c.name),
                    msg!("unparseable image reference {raw:?}"),
                );
            }
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
        rec.decide(
            "IMG001",
            image.has_mutable_default_tag().then(|| {
                let what = if image.tag.is_none() {
                    " has no tag (means latest)"
                } else {
                    " uses the latest tag"
                };
                input(subject(), w, Message::Image(what.into()), image_evidence())
            }),
        );
        rec.decide(
            "IMG002",
            (!image.is_pinned()).then(|| {
                input(
                    subject(),
                    w,
                    Message::Image(" is not pinned by digest".into()),
                    image_evidence(),
                )
            }),
        );
        if config.allowed_registries.is_empty() {
            rec.not_evaluated(
                "IMG003",
                msg!("{} container {:?}", describe(w), c.name),
                "no registry allow-list configured (--allowed-registry)",
            );
        } else {
            rec.decide(
                "IMG003",
                (!allowed_by(image, &config.allowed_registries)).then(|| {
                    input(
                        subject(),
                        w,
                        Message::Image(
                            msg!(
                                " comes from {}, which is not in the allow-list ({})",
                                image.registry,
                                config.allowed_registries.join(", ")
                            )
                            .into(),
                        ),
                        image_evidence(),
                    )
                }),
            );
        }
        // The API server defaults the pull policy to Always for :latest or no tag and to
        // IfNotPresent otherwise; judge the effective policy.
        let effective = c
            .image_pull_policy
            .unwrap_or(if image.has_mutable_default_tag() {
                "Always"
            } else {
                "IfNotPresent"
            });
        let bad = !image.is_pinned() && effective != "Always";
        rec.decide(
            "IMG004",
            bad.then(|| {
                let (message, value) = pull_policy_texts(effective, c.image_pull_policy.is_none());
                input(
                    subject(),
                    w,
                    Message::Image(message),
                    vec![evidence(
                        w,
                        PodField::Container(c.pointer(), "/imagePullPolicy"),
                        value,
                    )],
                )
            }),
        );
        vulnerabilities(w, c.name, raw, config, &subject, &image_evidence, rec);
    }
}

/// IMG004's message ending and evidence value for the effective pull policy: fixed texts for
/// the policies the API knows (thousands of findings share them), formatted for anything else.
fn pull_policy_texts(effective: &str, defaulted: bool) -> (Cow<'static, str>, Cow<'static, str>) {
    macro_rules! pulled_with {
        ($policy:literal) => {
            concat!(
                " is a mutable reference pulled with imagePullPolicy ",
                $policy
            )
        };
    }
    macro_rules! fixed {
        ($policy:literal) => {
            (Cow::Borrowed(pulled_with!($policy)), Cow::Borrowed($policy))
        };
    }
    match (effective, defaulted) {
        ("IfNotPresent", true) => fixed!("IfNotPresent (defaulted)"),
        ("IfNotPresent", false) => fixed!("IfNotPresent"),
        ("Never", false) => fixed!("Never"),
        _ => {
            let how = if defaulted { " (defaulted)" } else { "" };
            let value = msg!("{effective}{how}");
            (
                Cow::Owned(msg!("{}{value}", pulled_with!(""))),
                Cow::Owned(value),
            )
        }
    }
}

const VUL_RULES: [&str; 3] = ["VUL001", "VUL002", "VUL003"];

/// VUL001-VUL003 for one container: fixable critical and high vulnerabilities of its image,
/// and an OS past its end of life. Without data for the image they are not evaluated.
fn vulnerabilities(
    w: &Workload,
    container: &str,
    raw: &str,
    config: &ScanConfig,
    subject: &dyn Fn() -> crate::findings::Subject,
    image_evidence: &dyn Fn() -> Vec<crate::findings::Evidence>,
    rec: &mut Recorder,
) {
    let facts = config.vulnerabilities.as_deref();
    let running = w.running_image_ids.get(container).map(String::as_str);
    let node = w.spec.node_name.as_deref();
    let Some(known) = facts.and_then(|f| f.get_running(raw, running, node)) else {
        let reason: String = match facts {
            Some(f) => format!("no vulnerability data for this image in {}", f.source),
            None => "no vulnerability data (give Trivy's reports with --trivy-report FILE)".into(),
        };
        for rule in VUL_RULES {
            rec.not_evaluated(
                rule,
                msg!("{} container {container:?}", describe(w)),
                reason.clone(),
            );
        }
        return;
    };
    for (rule, severity, word) in [
        ("VUL001", "CRITICAL", "critical"),
        ("VUL002", "HIGH", "high"),
    ] {
        let fixable = known.fixable(severity);
        rec.decide(
            rule,
            (!fixable.is_empty()).then(|| {
                let mut evidence = image_evidence();
                for v in fixable.iter().take(5) {
                    evidence.push(crate::findings::Evidence {
                        value: format!(
                            "{} in {} {} (fixed in {})",
                            v.id, v.package, v.installed_version, v.fixed_version
                        )
                        .into(),
                        ..evidence[0].clone()
                    });
                }
                let first = fixable[0];
                let more = if fixable.len() > 1 {
                    format!(" and {} more", fixable.len() - 1)
                } else {
                    String::new()
                };
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(
                            " has {} {word} {} with a fix: {} in {} (fixed in {}){more}",
                            fixable.len(),
                            if fixable.len() == 1 {
                                "vulnerability"
                            } else {
                                "vulnerabilities"
                            },
                            first.id,
                            first.package,
                            first.fixed_version
                        )
                        .into(),
                    ),
                    evidence,
                )
            }),
        );
    }
    match (known.eosl, &known.os) {
        (Some(eosl), Some(os)) => rec.decide(
            "VUL003",
            eosl.then(|| {
                input(
                    subject(),
                    w,
                    Message::Image(
                        msg!(" runs {} {}, past its end of life", os.family, os.release).into(),
                    ),
                    image_evidence(),
                )
            }),
        ),
        _ => rec.not_evaluated(
            "VUL003",
            msg!("{} container {container:?}", describe(w)),
            "the image's OS release end of life is not known",
        ),
    }
}
