//! Renderings of a [`Report`] (Markdown, JSON, SARIF, JUnit, HTML, plain text). The report
//! itself is made by [`crate::engine::evaluate`]; nothing here decides a finding.

pub mod csv;
mod history;
pub mod html;
pub mod image_scan;
pub mod image_verify;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
mod sarif_signatures;
mod sarif_vulnerabilities;
pub mod signatures;
pub mod text;
pub mod vulnerabilities;

pub use crate::engine::{AreaSummary, CoverageRow, Report, SCHEMA_VERSION, Summary, TOOL, Tool};
