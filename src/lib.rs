//! kaudit: audit the software supply chain and workload security of a Kubernetes cluster.

pub mod inventory;
pub mod manifest;
pub mod pss;
