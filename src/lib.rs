//! kaudit: audit the software supply chain and workload security of a Kubernetes cluster.

pub mod allocator;
pub mod auditlog;
pub mod checks;
pub mod cli;
pub mod engine;
pub mod findings;
pub mod image_ref;
pub mod inventory;
pub mod lab;
pub mod pss;
pub mod registry;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod session;
pub mod severity;
pub mod signatures;
pub mod sources;
pub mod store;
pub mod time;
pub mod triage;
pub mod tui;
pub mod vuln;
pub mod walk;
pub mod yaml;
