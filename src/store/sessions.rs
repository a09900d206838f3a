//! Audit sessions: saved whole in one transaction, listed per context, and read back as the
//! baseline of the next audit.

use super::{Error, Store};
use crate::engine::Report;
use crate::findings::changes::PastFinding;
use crate::findings::{Finding, FindingId};
use crate::severity::Severity;
use rusqlite::{OptionalExtension, params};

/// One session as `kaudit history` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub context: String,
    /// `live`, `manifests`, `snapshot`, `demo`, `audit-log`.
    pub source: String,
    pub description: String,
    pub server_version: Option<String>,
    pub tool_version: String,
    pub started: String,
    pub finished: String,
    /// Findings, suppressed ones included.
    pub findings: u64,
    pub suppressed: u64,
    /// Score per area (`null` where nothing was evaluated), for the trend.
    pub scores: serde_json::Value,
    /// Coverage per area, in percent (`null` where nothing was evaluated).
    pub coverage: serde_json::Value,
}

impl SessionSummary {
    /// The audit of `report` as the history will list it once saved (`id` 0 until then).
    pub fn of(report: &Report, started: &str) -> SessionSummary {
        SessionSummary {
            id: 0,
            context: report.source.context.clone(),
            source: report.source.kind.clone(),
            description: report.source.description.clone(),
            server_version: report.source.server_version.clone(),
            tool_version: report.tool.version.to_string(),
            started: started.to_string(),
            finished: String::new(),
            findings: report.findings.len() as u64,
            suppressed: report.findings.iter().filter(|f| !f.is_active()).count() as u64,
            scores: per_area(report, |a| a.score),
            coverage: per_area(report, |a| a.coverage),
        }
    }
}

/// `{area: value}` over the report's areas (`null` where nothing was evaluated).
fn per_area(
    report: &Report,
    value: impl Fn(&crate::engine::AreaSummary) -> Option<u32>,
) -> serde_json::Value {
    serde_json::Value::Object(
        report
            .summary
            .areas
            .iter()
            .map(|a| (a.area.to_string(), serde_json::json!(value(a))))
            .collect(),
    )
}

/// The `summary` column: per area, its score and its coverage.
fn summary_json(report: &Report) -> String {
    serde_json::json!({
        "scores": per_area(report, |a| a.score),
        "coverage": per_area(report, |a| a.coverage),
    })
    .to_string()
}

/// A session just saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredSession {
    pub id: i64,
}

impl Store {
    /// Saves an audit and every finding in one transaction: a kaudit killed mid-way leaves
    /// the store without the session, never with part of it.
    pub fn save_session(
        &mut self,
        report: &Report,
        started: &str,
        finished: &str,
    ) -> Result<StoredSession, Error> {
        let path = self.path.clone();
        let sql = |source| Error::Sql {
            path: path.clone(),
            source,
        };
        let suppressed = report.findings.iter().filter(|f| !f.is_active()).count();
        let tx = self.connection.transaction().map_err(sql)?;
        tx.execute(
            "INSERT INTO sessions (context, source_kind, source, server_version, tool_version,
                started, finished, findings, suppressed, summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                report.source.context,
                report.source.kind,
                report.source.description,
                report.source.server_version,
                report.tool.version,
                started,
                finished,
                report.findings.len() as i64,
                suppressed as i64,
                summary_json(report),
            ],
        )
        .map_err(sql)?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO findings (session, id, rule, severity, subject, message, evidence, suppressed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql)?;
            // In id order: the (session, id) index then grows at its end instead of being
            // split all over (twice as fast for 100,000 findings).
            let mut in_order: Vec<&Finding> = report.findings.iter().collect();
            in_order.sort_unstable_by_key(|f| f.id.0 as i64);
            for finding in in_order {
                insert
                    .execute(params![
                        id,
                        finding.id.0 as i64,
                        finding.rule_id,
                        finding.severity.as_str(),
                        finding.subject.path(),
                        finding.message(),
                        finding.evidence_hash() as i64,
                        !finding.is_active(),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(StoredSession { id })
    }

    /// Sessions, newest first, of one context or of all.
    pub fn sessions(
        &self,
        context: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, Error> {
        self.list(context, None, limit)
    }

    /// One session by number.
    pub fn session(&self, id: i64) -> Result<SessionSummary, Error> {
        self.list(None, Some(id), 1)?
            .pop()
            .ok_or(Error::NoSuchSession(id))
    }

    fn list(
        &self,
        context: Option<&str>,
        id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<SessionSummary>, Error> {
        let mut query = self
            .connection
            .prepare(
                "SELECT id, context, source_kind, source, server_version, tool_version, started,
                        finished, findings, suppressed, summary
                 FROM sessions WHERE (?1 IS NULL OR context = ?1) AND (?3 IS NULL OR id = ?3)
                 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map(params![context, limit as i64, id], |r| {
                let summary: serde_json::Value =
                    serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default();
                Ok(SessionSummary {
                    id: r.get(0)?,
                    context: r.get(1)?,
                    source: r.get(2)?,
                    description: r.get(3)?,
                    server_version: r.get(4)?,
                    tool_version: r.get(5)?,
                    started: r.get(6)?,
                    finished: r.get(7)?,
                    findings: r.get::<_, i64>(8)?.max(0) as u64,
                    suppressed: r.get::<_, i64>(9)?.max(0) as u64,
                    scores: summary["scores"].clone(),
                    coverage: summary["coverage"].clone(),
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// The latest session of `context` before session `before` (or the latest of all).
    pub fn previous(&self, context: &str, before: Option<i64>) -> Result<Option<i64>, Error> {
        self.connection
            .query_row(
                "SELECT max(id) FROM sessions WHERE context = ?1 AND id < ?2",
                params![context, before.unwrap_or(i64::MAX)],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.sql(e))
    }

    /// The ids of the findings a session recorded: all a diff needs (the few resolved ones
    /// are then described with [`Store::describe`]).
    pub fn finding_ids_of(&self, session: i64) -> Result<Vec<FindingId>, Error> {
        let mut query = self
            .connection
            .prepare_cached("SELECT id FROM findings WHERE session = ?1")
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map([session], |r| Ok(FindingId(r.get::<_, i64>(0)? as u64)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Fills in rule, severity, subject and message of `findings` from what `session`
    /// recorded about them.
    pub fn describe(&self, session: i64, findings: &mut [PastFinding]) -> Result<(), Error> {
        let mut query = self
            .connection
            .prepare_cached(
                "SELECT rule, severity, subject, message FROM findings WHERE session = ?1 AND id = ?2",
            )
            .map_err(|e| self.sql(e))?;
        for f in findings {
            let found = query
                .query_row(params![session, f.id.0 as i64], |r| {
                    let severity: String = r.get(1)?;
                    Ok((r.get(0)?, severity, r.get(2)?, r.get(3)?))
                })
                .optional()
                .map_err(|e| self.sql(e))?;
            if let Some((rule, severity, subject, message)) = found {
                f.rule_id = rule;
                f.severity = severity.parse().unwrap_or(Severity::Info);
                f.subject = subject;
                f.message = message;
            }
        }
        Ok(())
    }

    /// The findings a session recorded.
    pub fn findings_of(&self, session: i64) -> Result<Vec<PastFinding>, Error> {
        let mut query = self
            .connection
            .prepare_cached(
                "SELECT id, rule, severity, subject, message FROM findings WHERE session = ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map([session], |r| {
                let severity: String = r.get(2)?;
                Ok(PastFinding {
                    id: FindingId(r.get::<_, i64>(0)? as u64),
                    rule_id: r.get(1)?,
                    severity: severity.parse().unwrap_or(Severity::Info),
                    subject: r.get(3)?,
                    message: r.get(4)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }
}
