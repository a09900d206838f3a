//! Triage decisions taken on single findings (in the TUI, kept in the store per context):
//! *accepted risk* and *false positive* suppress the finding, *will fix* keeps it active and
//! says who will. A decision holds while the finding's evidence is what it was when decided
//! and until its expiry; then the finding comes back, with the old decision shown beside it.

use crate::findings::{Finding, FindingId};

/// What was decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    AcceptedRisk,
    FalsePositive,
    WillFix,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [
        Verdict::AcceptedRisk,
        Verdict::FalsePositive,
        Verdict::WillFix,
    ];

    /// `accepted-risk`: how the store, JSON and the command line write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::AcceptedRisk => "accepted-risk",
            Verdict::FalsePositive => "false-positive",
            Verdict::WillFix => "will-fix",
        }
    }

    /// `accepted risk`: how people read it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::AcceptedRisk => "accepted risk",
            Verdict::FalsePositive => "false positive",
            Verdict::WillFix => "will fix",
        }
    }

    /// Whether the finding stops counting (accepted risk, false positive).
    pub fn suppresses(self) -> bool {
        self != Verdict::WillFix
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not accepted-risk, false-positive or will-fix"))
    }
}

/// One decision, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub finding: FindingId,
    /// The finding's rule and subject path, for exporting the decision as an exemption and
    /// for saying what it was about once the finding is gone.
    pub rule_id: String,
    pub subject: String,
    pub verdict: Verdict,
    pub reason: String,
    pub author: String,
    /// RFC 3339.
    pub decided: String,
    /// `YYYY-MM-DD`: the decision holds through that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// [`Finding::evidence_hash`] when decided.
    #[serde(serialize_with = "hex")]
    pub evidence: u64,
}

fn hex<S: serde::Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{value:016x}"))
}

impl Decision {
    /// A decision on `finding` as it is now.
    pub fn on(finding: &Finding, verdict: Verdict, reason: String, author: String) -> Decision {
        Decision {
            finding: finding.id,
            rule_id: finding.rule_id.to_string(),
            subject: finding.subject.path(),
            verdict,
            reason,
            author,
            decided: crate::time::now_rfc3339(),
            expires: None,
            evidence: finding.evidence_hash(),
        }
    }
}

/// Whether a decision still holds in this audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Applied to its finding.
    Applied,
    /// Past its expiry: the finding is back.
    Expired,
    /// The finding's evidence is not what was decided on: the finding is back.
    EvidenceChanged,
    /// No such finding in this audit (fixed, or the object is gone).
    NotFound,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Applied => "applied",
            Standing::Expired => "expired",
            Standing::EvidenceChanged => "evidence changed",
            Standing::NotFound => "finding gone",
        }
    }
}

/// A decision and how it stands in this audit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Judged {
    #[serde(flatten)]
    pub decision: Decision,
    pub standing: Standing,
}

impl Judged {
    /// `will fix (alice)`, `accepted risk (alice; expired)`: the mark reports write beside
    /// the finding.
    pub fn mark(&self) -> String {
        let d = &self.decision;
        match self.standing {
            Standing::Applied => format!("{} ({})", d.verdict.label(), d.author),
            other => format!("{} ({}; {})", d.verdict.label(), d.author, other.label()),
        }
    }
}

/// How `decision` stands for `finding` on `today` (`YYYY-MM-DD`).
pub fn standing(decision: &Decision, finding: &Finding, today: &str) -> Standing {
    if decision.expires.as_deref().is_some_and(|d| d < today) {
        Standing::Expired
    } else if decision.evidence != finding.evidence_hash() {
        Standing::EvidenceChanged
    } else {
        Standing::Applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_back_as_written() {
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.as_str())
            );
        }
        assert!("accepted".parse::<Verdict>().is_err());
        assert!(!Verdict::WillFix.suppresses() && Verdict::FalsePositive.suppresses());
    }
}
