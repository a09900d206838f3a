//! Live clusters through kube-rs: kubeconfig resolution like kubectl, an access probe, paged
//! reads with bounded concurrency, and the inventory they make.
//!
//! Read-only by construction: [`client::ReadOnlyClient`] is the only thing here that talks to
//! the API server, and it can send GET requests and SelfSubjectAccessReviews, nothing else.
//! Secrets are never requested, not even their names.

mod body;
pub mod client;
pub mod error;
pub mod kubeconfig;
pub mod read;
pub mod resources;
pub mod watch;

pub use error::ApiError;
pub use kubeconfig::{Connection, LiveOptions};
pub use read::ClusterRead;

use super::Error;
use crate::inventory::Inventory;

/// Connects and reads the cluster into an inventory: the synchronous entry point for `scan`
/// and the TUI.
pub fn read_cluster(options: &LiveOptions) -> Result<ClusterRead<Inventory>, Error> {
    // Pages are parsed and freed while typed objects pile up: see `crate::allocator`.
    crate::allocator::purging_at_once(|| {
        run(async {
            let connection = kubeconfig::connect(options).await?;
            let context = connection.context.clone();
            read::read(&connection, options, &|resource, items| {
                read::type_page(&context, resource, items)
            })
            .await
        })
    })
}

/// Connects and reads the cluster as JSON pages, for a snapshot.
pub fn read_cluster_json(options: &LiveOptions) -> Result<ClusterRead<Vec<u8>>, Error> {
    run(async {
        let connection = kubeconfig::connect(options).await?;
        read::read(&connection, options, &|_, items| {
            read::serialize_page(items)
        })
        .await
    })
}

fn run<T>(work: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let result = runtime.block_on(work);
    // Not `drop`, which waits for every blocking task: an exec credential plugin that never
    // exits would hold kaudit forever after its time-out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}
