//! An image page's vulnerability table: which row is selected, the order (`s` cycles
//! severity, fixable first, package) and whether only fixable ones show (`f`).

use super::{App, View};
use crate::vuln::{Vulnerability, severity};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VulnSort {
    /// Most severe first, fixable before unfixable at the same severity.
    #[default]
    Severity,
    /// Those with a fix first, then by severity.
    Fixable,
    /// By package, then most severe first.
    Package,
}

impl VulnSort {
    pub fn label(self) -> &'static str {
        match self {
            VulnSort::Severity => "severity",
            VulnSort::Fixable => "fixable first",
            VulnSort::Package => "package",
        }
    }

    fn next(self) -> VulnSort {
        match self {
            VulnSort::Severity => VulnSort::Fixable,
            VulnSort::Fixable => VulnSort::Package,
            VulnSort::Package => VulnSort::Severity,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VulnTable {
    pub selected: usize,
    pub sort: VulnSort,
    pub fixable_only: bool,
}

impl App {
    /// The vulnerabilities of the image on row `row` of the Images view, in the table's
    /// order and filter; empty when nothing is known of it.
    pub fn image_vulnerabilities(&self, row: usize) -> Vec<&Vulnerability> {
        let (Some(image), Some(audit)) = (self.model.images.get(row), self.audit.as_ref()) else {
            return Vec::new();
        };
        let summary = audit
            .report
            .vulnerabilities
            .as_ref()
            .and_then(|s| s.images.iter().find(|i| i.image == image.image));
        let Some(summary) = summary else {
            return Vec::new();
        };
        let mut list: Vec<&Vulnerability> = summary
            .vulnerabilities
            .iter()
            .filter(|v| !self.vulns.fixable_only || !v.fixed_version.is_empty())
            .collect();
        let worst_first = |a: &&Vulnerability, b: &&Vulnerability| {
            severity(b.severity).cmp(&severity(a.severity))
        };
        let unfixed = |v: &&Vulnerability| v.fixed_version.is_empty();
        list.sort_by(|a, b| {
            let order = match self.vulns.sort {
                VulnSort::Severity => worst_first(a, b).then_with(|| unfixed(a).cmp(&unfixed(b))),
                VulnSort::Fixable => unfixed(a).cmp(&unfixed(b)).then_with(|| worst_first(a, b)),
                VulnSort::Package => a.package.cmp(&b.package).then_with(|| worst_first(a, b)),
            };
            order
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.package.cmp(&b.package))
        });
        list
    }

    /// Moves the table's cursor; `true` when the Image view took the move.
    pub(super) fn move_vulnerability(&mut self, delta: isize) -> bool {
        let View::Image(row) = self.view else {
            return false;
        };
        let count = self.image_vulnerabilities(row).len();
        let to = (self.vulns.selected as isize + delta).clamp(0, count.saturating_sub(1) as isize);
        self.vulns.selected = to as usize;
        true
    }

    pub(super) fn cycle_vulnerability_sort(&mut self) {
        self.vulns.sort = self.vulns.sort.next();
        self.vulns.selected = 0;
        self.status = Some(format!("vulnerabilities by {}", self.vulns.sort.label()));
    }

    pub(super) fn toggle_fixable_only(&mut self) {
        self.vulns.fixable_only = !self.vulns.fixable_only;
        self.vulns.selected = 0;
        self.status = Some(
            if self.vulns.fixable_only {
                "only vulnerabilities with a fix"
            } else {
                "every vulnerability"
            }
            .into(),
        );
    }
}
