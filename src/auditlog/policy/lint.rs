//! The audit policy judged: lint against a CKS-grade policy, and the detections it makes
//! blind (read from the detection table's probes).

use super::{AuditPolicy, Decision, Level, PolicyRule, Request, ResourceAttrs};
use crate::auditlog::rules::{DETECTIONS, Probe, probe};
use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use std::sync::Arc;

fn probe_request(p: &Probe) -> Request<'static> {
    let (user, groups): (&str, &[&str]) = if p.anonymous {
        ("system:anonymous", &["system:unauthenticated"])
    } else {
        ("kaudit:probe", &["system:authenticated"])
    };
    Request {
        user,
        groups,
        verb: p.verb,
        resource: Some(ResourceAttrs {
            group: p.group,
            resource: p.resource,
            subresource: p.subresource,
            namespace: p.namespace,
            name: "",
        }),
        path: "",
    }
}

fn describe_request(p: &Probe) -> String {
    let resource = if p.subresource.is_empty() {
        p.resource.to_string()
    } else {
        format!("{}/{}", p.resource, p.subresource)
    };
    let group = if p.group.is_empty() {
        String::new()
    } else {
        format!(".{}", p.group)
    };
    let place = if p.namespace.is_empty() {
        String::new()
    } else {
        format!(" in namespace {}", p.namespace)
    };
    let who = if p.anonymous { " (anonymous)" } else { "" };
    format!("{} {resource}{group}{place}{who}", p.verb)
}

impl AuditPolicy {
    fn which_rule(&self, d: &Decision) -> String {
        match d.rule {
            Some(i) => format!("rules[{i}] of {}", self.file),
            None => format!(
                "no rule of {} (unmatched requests are not logged)",
                self.file
            ),
        }
    }

    /// The detections that cannot fire at the levels this policy sets: "not evaluated" with
    /// the request, the rule that decides it, and what the detection needs.
    pub fn blind_spots(&self, rec: &mut Recorder) {
        for (rule, p) in DETECTIONS
            .iter()
            .flat_map(|d| d.probes.iter().map(move |p| (d.rule, p)))
        {
            let d = self.decide(&probe_request(p));
            let stages_gone = if p.long_running {
                ["ResponseStarted", "ResponseComplete"]
                    .iter()
                    .all(|s| d.omitted_stages.iter().any(|o| o == s))
            } else {
                d.omitted_stages.iter().any(|o| o == "ResponseComplete")
            };
            if d.level < p.needs {
                rec.not_evaluated(
                    rule,
                    describe_request(p),
                    format!(
                        "the audit policy logs it at {} ({}); this detection needs {}",
                        d.level.as_str(),
                        self.which_rule(&d),
                        p.needs.as_str()
                    ),
                );
            } else if stages_gone {
                rec.not_evaluated(
                    rule,
                    describe_request(p),
                    format!(
                        "the audit policy omits the stages it is logged at ({}; {})",
                        d.omitted_stages.join(", "),
                        self.which_rule(&d)
                    ),
                );
            }
        }
    }

    /// One lint over the levels the policy gives `requests` (verb, group, resource,
    /// subresource, namespace): each level `wrong` judges so is a finding of `rule` saying
    /// `why`; none, a pass.
    fn lint_levels(
        &self,
        rec: &mut Recorder,
        rule: &'static str,
        requests: &[(
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        )],
        wrong: impl Fn(Level) -> bool,
        why: &str,
    ) {
        let mut clean = true;
        for &(verb, group, resource, sub, ns) in requests {
            let d = self.decide(&probe_request(&probe(
                verb,
                group,
                resource,
                sub,
                ns,
                Level::None,
            )));
            if !wrong(d.level) {
                continue;
            }
            clean = false;
            let what = if sub.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}/{sub}")
            };
            let level = if d.level == Level::None {
                "not logged".to_string()
            } else {
                format!("logged at {}", d.level.as_str())
            };
            let pointer = d
                .rule
                .map_or("/rules".to_string(), |i| format!("/rules/{i}/level"));
            rec.fail(
                rule,
                self.finding(
                    format!("{verb} {what}: {}", d.level.as_str()),
                    format!("{verb} {what} is {level} ({}): {why}", self.which_rule(&d)),
                    pointer,
                ),
            );
        }
        if clean {
            rec.pass(rule);
        }
    }

    fn finding(&self, key: String, message: String, pointer: String) -> FindingInput {
        FindingInput {
            subject: Subject::object("AuditPolicy", "", self.file.clone()),
            message: message.into(),
            evidence: vec![Evidence::at(pointer.clone(), key.clone())],
            location: Some(Location {
                file: Arc::from(self.file.as_str()),
                line: self.line,
            }),
            discriminator: format!("{pointer}|{key}").into(),
            severity: None,
        }
    }

    /// Lints the policy against a CKS-grade one (CIS 3.2.2; see notes/audit-logs.md §3.1).
    pub fn lint(&self, rec: &mut Recorder) {
        let report =
            |rec: &mut Recorder,
             rule: &'static str,
             key: String,
             message: String,
             pointer: String| { rec.fail(rule, self.finding(key, message, pointer)) };
        // Invalid: kube-apiserver refuses to start with it, or ignores what it cannot read.
        if self.invalid.is_empty() {
            rec.pass("AUDP01");
        }
        for (pointer, message) in &self.invalid {
            // The quoted value in the message is what is wrong.
            let value = message
                .split('"')
                .nth(1)
                .map_or_else(|| "invalid".to_string(), |v| format!("{v:?}"));
            report(rec, "AUDP01", value, message.clone(), pointer.clone());
        }
        // No catch-all: whatever no rule selects is not logged at all.
        match self.rules.last() {
            Some(last) if last.is_catch_all() && last.level > Level::None => rec.pass("AUDP02"),
            Some(_) => report(
                rec,
                "AUDP02",
                "no catch-all".into(),
                format!(
                    "the last of the policy's {} rules selects only some requests; every request no rule selects is not logged (end with `- level: Metadata`)",
                    self.rules.len()
                ),
                format!("/rules/{}", self.rules.len() - 1),
            ),
            None => {}
        }

        // Secret values in the log: Secrets, ConfigMaps, TokenReviews and TokenRequests must
        // be logged at Metadata at most.
        self.lint_levels(
            rec,
            "AUDP03",
            &[
                ("get", "", "secrets", "", "shop"),
                ("create", "", "secrets", "", "shop"),
                ("update", "", "configmaps", "", "shop"),
                ("create", "authentication.k8s.io", "tokenreviews", "", ""),
                ("create", "", "serviceaccounts", "token", "shop"),
            ],
            |level| level > Level::Metadata,
            "the log then holds their values; log them at Metadata",
        );
        // Exec, attach, port-forward and proxies must be logged (CIS 3.2.2).
        self.lint_levels(
            rec,
            "AUDP04",
            &[
                ("create", "", "pods", "exec", "shop"),
                ("get", "", "pods", "exec", "shop"),
                ("create", "", "pods", "attach", "shop"),
                ("create", "", "pods", "portforward", "shop"),
                ("get", "", "pods", "proxy", "shop"),
                ("get", "", "services", "proxy", "shop"),
                ("get", "", "nodes", "proxy", ""),
            ],
            |level| level == Level::None,
            "commands run in pods and tunnels into them leave no trace",
        );
        // Pod and RBAC writes without their bodies: privileged pods and cluster-admin
        // bindings cannot be told apart from harmless ones.
        self.lint_levels(
            rec,
            "AUDP05",
            &[
                ("create", "", "pods", "", "shop"),
                ("create", "apps", "deployments", "", "shop"),
                ("create", "apps", "daemonsets", "", "shop"),
                ("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", ""),
                ("create", "rbac.authorization.k8s.io", "rolebindings", "", "shop"),
                ("create", "rbac.authorization.k8s.io", "clusterroles", "", ""),
            ],
            |level| level < Level::Request,
            "without the request body kaudit cannot see privileged specs or what a binding grants; log it at Request",
        );
        // RequestReceived doubles the volume and adds nothing a detection needs.
        let logged_rules = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level > Level::None);
        let mut noisy = false;
        for (i, r) in logged_rules {
            if !self
                .omit_stages
                .iter()
                .chain(&r.omit_stages)
                .any(|s| s == "RequestReceived")
            {
                noisy = true;
                report(
                    rec,
                    "AUDP06",
                    format!("rules[{i}]"),
                    format!(
                        "rules[{i}] ({}) logs the RequestReceived stage: every request is written twice; add omitStages: [RequestReceived] to the policy",
                        r.level.as_str()
                    ),
                    format!("/rules/{i}"),
                );
                break;
            }
        }
        if !noisy {
            rec.pass("AUDP06");
        }
        // Rules after a catch-all are never reached.
        if let Some(first) = self.rules.iter().position(PolicyRule::is_catch_all) {
            let shadowed = self.rules.len() - first - 1;
            if shadowed > 0 {
                report(
                    rec,
                    "AUDP07",
                    format!("rules {}..{}", first + 1, self.rules.len() - 1),
                    format!(
                        "rules[{first}] matches every request, so the {shadowed} rule(s) after it are never used (the first matching rule wins)"
                    ),
                    format!("/rules/{}", first + 1),
                );
            } else {
                rec.pass("AUDP07");
            }
        } else {
            rec.pass("AUDP07");
        }
    }
}
