//! The triage form (`m` on a finding): a verdict, a reason and an optional expiry, or taking
//! back the decision already taken.

use super::{App, Effect, Input};
use crate::triage::decisions::Verdict;
use crossterm::event::{KeyCode, KeyEvent};

/// The form's fields, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Verdict,
    Reason,
    Expires,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionForm {
    pub finding: usize,
    /// Index into [`DecisionForm::choices`].
    pub choice: usize,
    /// The finding has a decision: the last choice takes it back.
    pub decided: bool,
    pub reason: String,
    /// `YYYY-MM-DD` or empty.
    pub expires: String,
    pub field: Field,
}

impl DecisionForm {
    /// The verdicts, then "take back" when there is a decision to take back.
    pub fn choices(&self) -> Vec<Option<Verdict>> {
        let mut out: Vec<Option<Verdict>> = Verdict::ALL.into_iter().map(Some).collect();
        if self.decided {
            out.push(None);
        }
        out
    }

    pub fn verdict(&self) -> Option<Verdict> {
        self.choices().get(self.choice).copied().flatten()
    }
}

impl App {
    /// Opens the form on a finding, filled in with the decision already taken on it.
    pub(super) fn open_decision_form(&mut self, finding: usize) {
        let Some(f) = self
            .audit
            .as_ref()
            .and_then(|a| a.report.findings.get(finding))
        else {
            return;
        };
        let earlier = f.decision.as_ref().map(|j| &j.decision);
        self.input = Input::Decide(Box::new(DecisionForm {
            finding,
            choice: earlier.map_or(0, |d| {
                Verdict::ALL
                    .iter()
                    .position(|v| *v == d.verdict)
                    .unwrap_or(0)
            }),
            decided: earlier.is_some(),
            reason: earlier.map(|d| d.reason.clone()).unwrap_or_default(),
            expires: earlier.and_then(|d| d.expires.clone()).unwrap_or_default(),
            field: if earlier.is_some() {
                Field::Verdict
            } else {
                Field::Reason
            },
        }));
    }

    pub(super) fn on_decision_key(
        &mut self,
        mut form: DecisionForm,
        key: KeyEvent,
    ) -> Option<Effect> {
        let count = form.choices().len();
        match (form.field, key.code) {
            (_, KeyCode::Enter) => return self.submit(form),
            (_, KeyCode::Tab) | (_, KeyCode::Down) => form.field = next(form.field),
            (_, KeyCode::BackTab) | (_, KeyCode::Up) => form.field = next(next(form.field)),
            (Field::Verdict, KeyCode::Right | KeyCode::Char(' ' | 'l')) => {
                form.choice = (form.choice + 1) % count;
            }
            (Field::Verdict, KeyCode::Left | KeyCode::Char('h')) => {
                form.choice = (form.choice + count - 1) % count;
            }
            (Field::Reason, KeyCode::Backspace) => {
                form.reason.pop();
            }
            (Field::Expires, KeyCode::Backspace) => {
                form.expires.pop();
            }
            (Field::Reason, KeyCode::Char(c)) if form.reason.chars().count() < MAX_REASON => {
                form.reason.push(c);
            }
            (Field::Expires, KeyCode::Char(c))
                if (c.is_ascii_digit() || c == '-') && form.expires.len() < 10 =>
            {
                form.expires.push(c);
            }
            _ => {}
        }
        self.input = Input::Decide(Box::new(form));
        None
    }

    fn submit(&mut self, form: DecisionForm) -> Option<Effect> {
        let verdict = form.verdict();
        let reason = form.reason.trim().to_string();
        let expires = form.expires.trim().to_string();
        let problem = if verdict.is_some() && reason.is_empty() {
            Some("a reason is required: say why, for whoever audits next")
        } else if !expires.is_empty() && !crate::triage::is_date(&expires) {
            Some("the expiry is a day, YYYY-MM-DD, or empty for none")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.status = Some(problem.into());
            self.input = Input::Decide(Box::new(form));
            return None;
        }
        Some(Effect::Decide {
            finding: form.finding,
            verdict,
            reason,
            expires: (!expires.is_empty()).then_some(expires),
        })
    }
}

/// Reasons are short notes, not documents.
const MAX_REASON: usize = 500;

fn next(field: Field) -> Field {
    match field {
        Field::Verdict => Field::Reason,
        Field::Reason => Field::Expires,
        Field::Expires => Field::Verdict,
    }
}
