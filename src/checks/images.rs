//! Image reference hygiene (IMG001-IMG004).

use super::msg;

use super::{ScanConfig, container_subject, describe, evidence, input};
use crate::findings::Recorder;
use crate::image_ref::{ImageRef, allowed_by};
use crate::inventory::Workload;
use crate::pss::PodView;
use std::collections::HashMap;

pub fn run(
    workloads: &[&Workload],
    views: &[PodView<'_>],
    config: &ScanConfig,
    rec: &mut Recorder,
) {
    // The same image runs in many workloads: parse each reference once.
    let mut parsed: HashMap<&str, Option<ImageRef>> = HashMap::new();
    for (w, view) in workloads.iter().zip(views) {
        for c in &view.containers {
            let pointer = msg!("{}/image", c.pointer());
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
                .entry(raw)
                .or_insert_with(|| ImageRef::parse(raw))
                .clone()
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
            rec.decide(
                "IMG001",
                image.has_mutable_default_tag().then(|| {
                    let what = if image.tag.is_none() {
                        "has no tag (means latest)"
                    } else {
                        "uses the latest tag"
                    };
                    input(
                        subject(),
                        w,
                        msg!(
                            "Image {raw} of container {} in {} {what}",
                            super::Quoted(c.name),
                            describe(w)
                        ),
                        vec![evidence(w, &pointer, raw.to_string())],
                    )
                }),
            );
            rec.decide(
                "IMG002",
                (!image.is_pinned()).then(|| {
                    input(
                        subject(),
                        w,
                        msg!(
                            "Image {raw} of container {} in {} is not pinned by digest",
                            super::Quoted(c.name),
                            describe(w)
                        ),
                        vec![evidence(w, &pointer, raw.to_string())],
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
                    (!allowed_by(&image, &config.allowed_registries)).then(|| {
                        input(
                            subject(),
                            w,
                            msg!("Image {raw} of container {} in {} comes from {}, which is not in the allow-list ({})", super::Quoted(c.name), describe(w), image.registry, config.allowed_registries.join(", ")),
                            vec![evidence(w, &pointer, raw.to_string())],
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
                    let how = if c.image_pull_policy.is_some() { "" } else { " (defaulted)" };
                    input(
                        subject(),
                        w,
                        msg!("Image {raw} of container {} in {} is a mutable reference pulled with imagePullPolicy {effective}{how}", super::Quoted(c.name), describe(w)),
                        vec![evidence(w, &msg!("{}/imagePullPolicy", c.pointer()), msg!("{effective}{how}"))],
                    )
                }),
            );
        }
    }
}
