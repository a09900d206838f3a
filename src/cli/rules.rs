//! `kaudit rules`: the rule catalog as a table or JSON.

use super::EXIT_OK;
use crate::rules::RULES;
use std::io::Write;

pub fn run(json: bool) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    if json {
        let s = serde_json::to_string_pretty(RULES)?;
        let _ = writeln!(out, "{s}");
        return Ok(EXIT_OK);
    }
    let _ = writeln!(
        out,
        "{:<8} {:<9} {:<13} {:<40} TITLE",
        "ID", "SEVERITY", "AREA", "CKS DOMAIN"
    );
    for r in RULES {
        let _ = writeln!(
            out,
            "{:<8} {:<9} {:<13} {:<40} {}",
            r.id,
            r.severity.label(),
            r.area.as_str(),
            r.cks_domain,
            r.title
        );
    }
    Ok(EXIT_OK)
}
