//! Triage decisions, kept per context and finding id: the latest decision on a finding
//! replaces the one before.

use super::{Error, Store};
use crate::findings::FindingId;
use crate::triage::decisions::{Decision, Verdict};
use rusqlite::params;

impl Store {
    /// Records a decision on a finding of `context`, replacing any earlier one.
    pub fn decide(&self, context: &str, decision: &Decision) -> Result<(), Error> {
        self.connection
            .execute(
                "INSERT OR REPLACE INTO triage
                    (context, finding, rule, subject, decision, reason, author, decided, expires, evidence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    context,
                    decision.finding.0 as i64,
                    decision.rule_id,
                    decision.subject,
                    decision.verdict.as_str(),
                    decision.reason,
                    decision.author,
                    decision.decided,
                    decision.expires,
                    decision.evidence as i64,
                ],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// Takes back the decision on a finding; true when there was one.
    pub fn undecide(&self, context: &str, finding: FindingId) -> Result<bool, Error> {
        self.connection
            .execute(
                "DELETE FROM triage WHERE context = ?1 AND finding = ?2",
                params![context, finding.0 as i64],
            )
            .map(|n| n > 0)
            .map_err(|e| self.sql(e))
    }

    /// The decisions of one context, oldest first.
    pub fn decisions(&self, context: &str) -> Result<Vec<Decision>, Error> {
        Ok(self
            .decisions_with_context(Some(context))?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    /// The decisions of one context or of all, with their context, oldest first. A row this
    /// kaudit cannot read (a verdict written by a newer one) is skipped, not guessed at.
    pub fn decisions_with_context(
        &self,
        context: Option<&str>,
    ) -> Result<Vec<(String, Decision)>, Error> {
        let mut query = self
            .connection
            .prepare_cached(
                "SELECT finding, rule, subject, decision, reason, author, decided, expires, evidence, context
                 FROM triage WHERE ?1 IS NULL OR context = ?1 ORDER BY context, decided, finding",
            )
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map([context], |r| {
                let verdict: String = r.get(3)?;
                let context: String = r.get(9)?;
                let finding = FindingId(r.get::<_, i64>(0)? as u64);
                Ok(verdict.parse::<Verdict>().ok().map(|verdict| {
                    (
                        context,
                        Decision {
                            finding,
                            rule_id: r.get(1).unwrap_or_default(),
                            subject: r.get(2).unwrap_or_default(),
                            verdict,
                            reason: r.get(4).unwrap_or_default(),
                            author: r.get(5).unwrap_or_default(),
                            decided: r.get(6).unwrap_or_default(),
                            expires: r.get(7).unwrap_or_default(),
                            evidence: r.get::<_, i64>(8).unwrap_or_default() as u64,
                        },
                    )
                }))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(row.map_err(|e| self.sql(e))?);
        }
        Ok(out)
    }
}
