//! What comes in after the audit is on screen: the images' vulnerabilities
//! (`--scan-images`) and signature verdicts (`--verify-signatures`). Each becomes an effect
//! that checks the cluster again off the UI thread.

use super::{App, Effect, Prepared};
use crate::signatures::facts::SignatureFacts;
use crate::vuln::facts::ImageFacts;

impl App {
    pub(super) fn images_scanned(
        &mut self,
        found: Result<(ImageFacts, Vec<String>), String>,
    ) -> Option<Effect> {
        self.background = None;
        self.audit.as_ref()?;
        match found {
            Ok((facts, notes)) => Some(Effect::ApplyImageFacts(Box::new(facts), notes)),
            Err(e) => {
                self.status = Some(format!(
                    "the images were not scanned: {}",
                    crate::sanitize::strip_controls(&e)
                ));
                None
            }
        }
    }

    /// The verdicts of read `read`. Those of a read replaced since are dropped: they judge
    /// images the audit on screen may no longer run. The views say "looking up" until the
    /// cluster has been checked again with them.
    pub(super) fn signatures_checked(
        &mut self,
        read: u64,
        (facts, notes): (Option<SignatureFacts>, Vec<String>),
    ) -> Option<Effect> {
        if self.signatures_pending != Some(read) || self.audit.is_none() {
            return None;
        }
        self.background = None;
        match facts {
            Some(facts) => Some(Effect::ApplySignatureFacts(Box::new(facts), notes)),
            None => {
                self.signatures_pending = None;
                self.status = Some(match notes.last() {
                    Some(note) => crate::sanitize::strip_controls(note).into_owned(),
                    None => "no image signatures were looked up".into(),
                });
                None
            }
        }
    }

    /// A re-judged audit that has signature verdicts ends the wait for them.
    pub(super) fn rejudged_signatures(&mut self, prepared: &Prepared) {
        if prepared.session.config.signatures.is_some() {
            self.signatures_pending = None;
        }
    }
}
