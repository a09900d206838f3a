//! kaudit: audit the software supply chain and workload security of a Kubernetes cluster.

pub mod allocator;
pub mod audit;
pub mod auditlog;
pub mod checks;
pub mod cli;
pub mod findings;
pub mod image_ref;
pub mod inventory;
pub mod live;
pub mod manifest;
pub mod pss;
pub mod pss_cmd;
pub mod report;
pub mod rules;
pub mod rules_cmd;
pub mod sanitize;
pub mod severity;
pub mod sources;
pub mod triage;
pub mod tui;
