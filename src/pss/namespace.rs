//! A namespace's effective Pod Security policy from its labels, as the admission plugin
//! resolves it: defaults for missing labels, invalid enforce levels fail closed, invalid
//! audit and warn levels fail open, invalid versions mean `latest`, and warn inherits a
//! stricter enforce level.

use super::{Level, Policy, Version};
use std::collections::BTreeMap;

pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Enforce,
    Audit,
    Warn,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }
}

/// The policy of one mode, and whether it came from a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModePolicy {
    pub policy: Policy,
    pub labelled: bool,
}

/// The effective policy of a namespace, with any label errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: ModePolicy,
    pub audit: ModePolicy,
    pub warn: ModePolicy,
    /// Invalid label values, as `label=value: message`.
    pub errors: Vec<String>,
}

impl NamespacePolicy {
    pub fn mode(&self, mode: Mode) -> &ModePolicy {
        match mode {
            Mode::Enforce => &self.enforce,
            Mode::Audit => &self.audit,
            Mode::Warn => &self.warn,
        }
    }
}

/// Cluster defaults (the admission configuration's `defaults`); built-in: privileged/latest.
pub const BUILTIN_DEFAULT: Policy = Policy {
    level: Level::Privileged,
    version: Version::Latest,
};

pub fn resolve(labels: Option<&BTreeMap<String, String>>, default: Policy) -> NamespacePolicy {
    let get = |suffix: &str| labels.and_then(|l| l.get(&format!("{LABEL_PREFIX}{suffix}")));
    let mut errors = Vec::new();
    let mut level_of = |mode: Mode, fail_to: Level| -> (Level, bool, bool) {
        match get(mode.as_str()) {
            None => (default.level, false, false),
            Some(v) => match v.parse::<Level>() {
                Ok(level) => (level, true, true),
                Err(e) => {
                    errors.push(format!("{LABEL_PREFIX}{}={v:?}: {e}", mode.as_str()));
                    (fail_to, true, false)
                }
            },
        }
    };
    let (enforce_level, enforce_labelled, enforce_valid) =
        level_of(Mode::Enforce, Level::Restricted);
    let (audit_level, audit_labelled, _) = level_of(Mode::Audit, Level::Privileged);
    let (warn_level, warn_labelled, _) = level_of(Mode::Warn, Level::Privileged);
    let mut version_of = |mode: Mode| -> (Version, bool) {
        match get(&format!("{}-version", mode.as_str())) {
            None => (default.version, false),
            Some(v) => match v.parse::<Version>() {
                Ok(version) => (version, true),
                Err(e) => {
                    errors.push(format!(
                        "{LABEL_PREFIX}{}-version={v:?}: {e}",
                        mode.as_str()
                    ));
                    (Version::Latest, true)
                }
            },
        }
    };
    let (enforce_version, _) = version_of(Mode::Enforce);
    let (audit_version, _) = version_of(Mode::Audit);
    let (mut warn_version, warn_version_labelled) = version_of(Mode::Warn);
    let mut warn_level = warn_level;
    if !warn_labelled && enforce_valid && enforce_level > warn_level {
        warn_level = enforce_level;
        if !warn_version_labelled {
            warn_version = enforce_version;
        }
    }
    NamespacePolicy {
        enforce: ModePolicy {
            policy: Policy {
                level: enforce_level,
                version: enforce_version,
            },
            labelled: enforce_labelled,
        },
        audit: ModePolicy {
            policy: Policy {
                level: audit_level,
                version: audit_version,
            },
            labelled: audit_labelled,
        },
        warn: ModePolicy {
            policy: Policy {
                level: warn_level,
                version: warn_version,
            },
            labelled: warn_labelled,
        },
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_inheritance() {
        let p = resolve(None, BUILTIN_DEFAULT);
        assert_eq!(p.enforce.policy.to_string(), "privileged:latest");
        let l = labels(&[("enforce", "restricted"), ("enforce-version", "v1.30")]);
        let p = resolve(Some(&l), BUILTIN_DEFAULT);
        assert_eq!(p.warn.policy.to_string(), "restricted:v1.30");
        assert_eq!(p.audit.policy.to_string(), "privileged:latest");
        let l = labels(&[("enforce", "baseline"), ("warn", "privileged")]);
        assert_eq!(
            resolve(Some(&l), BUILTIN_DEFAULT).warn.policy.level,
            Level::Privileged
        );
    }

    #[test]
    fn invalid_values_fail_closed_for_enforce_and_open_for_audit_and_warn() {
        let l = labels(&[
            ("enforce", "Restricted"),
            ("audit", "strict"),
            ("warn", "nope"),
            ("enforce-version", "1.30"),
        ]);
        let p = resolve(Some(&l), BUILTIN_DEFAULT);
        assert_eq!(p.enforce.policy.to_string(), "restricted:latest");
        assert_eq!(p.audit.policy.level, Level::Privileged);
        assert_eq!(p.warn.policy.level, Level::Privileged);
        assert_eq!(p.errors.len(), 4);
        // An invalid enforce level does not raise warn.
        let l = labels(&[("enforce", "bogus")]);
        assert_eq!(
            resolve(Some(&l), BUILTIN_DEFAULT).warn.policy.level,
            Level::Privileged
        );
    }
}
