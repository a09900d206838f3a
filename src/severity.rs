//! Severities and areas: small ordered vocabularies shared by rules, findings and reports.

use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Upper-case word for tables, so severity never depends on colour.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Weight of a check of this severity in the area score.
    pub fn weight(self) -> u64 {
        match self {
            Severity::Info => 0,
            Severity::Low => 1,
            Severity::Medium => 3,
            Severity::High => 6,
            Severity::Critical => 10,
        }
    }

    /// GitHub code scanning's `security-severity` score for this severity.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?}: use critical, high, medium, low or info"
            )),
        }
    }
}

/// The areas of an audit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Images,
    PodSecurity,
    Rbac,
    Network,
    AuditLog,
    Signatures,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Images,
        Area::PodSecurity,
        Area::Rbac,
        Area::Network,
        Area::AuditLog,
        Area::Signatures,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Images => "images",
            Area::PodSecurity => "pod-security",
            Area::Rbac => "rbac",
            Area::Network => "network",
            Area::AuditLog => "audit-log",
            Area::Signatures => "signatures",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::Images => "Images",
            Area::PodSecurity => "Pod security",
            Area::Rbac => "RBAC",
            Area::Network => "Network",
            Area::AuditLog => "Audit log",
            Area::Signatures => "Signatures",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert_eq!(
            serde_json::to_string(&Area::PodSecurity).unwrap(),
            "\"pod-security\""
        );
    }
}
