//! What can stop a source from being read at all, typed so that callers (the TUI's advice,
//! exit codes) decide from the kind, never from message text. Recoverable problems (a bad
//! file among good ones, a 403 on one list) are not errors: they are input errors and
//! access gaps in the inventory.

use super::live::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig is unreadable, or does not have the context, cluster or user asked for.
    #[error("{0}")]
    Kubeconfig(String),
    /// No kubeconfig at all, and not running in a cluster.
    #[error("no kubeconfig found: {0}")]
    NoKubeconfig(String),
    /// The API server refused, failed or could not be reached while `what` was read.
    #[error("context {context} ({server}): {what}: {error}")]
    Api {
        context: String,
        server: String,
        what: String,
        /// Boxed: errors travel up every read's `Result`, and this one is large.
        error: Box<ApiError>,
    },
    /// A snapshot that cannot be used.
    #[error("{0}")]
    Snapshot(String),
    /// The network runtime could not start.
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// What kind of failure, for a caller that advises or decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No kubeconfig or no such context: nothing to connect to.
    NoCluster,
    /// 401: the credentials were rejected.
    Unauthorized,
    /// 403 where nothing else could go on.
    Forbidden,
    /// The server's certificate (or ours) was not accepted.
    Tls,
    /// No answer in time.
    Timeout,
    /// The server could not be reached.
    Unreachable,
    /// Credentials could not be obtained (an exec plugin failed).
    Credentials,
    /// Anything else (a server error, a bad snapshot).
    Other,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Kubeconfig(_) | Error::NoKubeconfig(_) => ErrorKind::NoCluster,
            Error::Api { error, .. } => match **error {
                ApiError::Status { code: 401, .. } => ErrorKind::Unauthorized,
                ApiError::Status { code: 403, .. } => ErrorKind::Forbidden,
                ApiError::Tls(_) => ErrorKind::Tls,
                ApiError::Timeout(_) => ErrorKind::Timeout,
                ApiError::Unreachable(_) => ErrorKind::Unreachable,
                ApiError::Credentials(_) => ErrorKind::Credentials,
                ApiError::Status { .. } | ApiError::Decode(_) => ErrorKind::Other,
            },
            Error::Snapshot(_) | Error::Runtime(_) => ErrorKind::Other,
        }
    }
}

impl ErrorKind {
    /// What the user can do about it.
    pub fn advice(self) -> &'static str {
        match self {
            ErrorKind::NoCluster => {
                "no cluster to read: `kaudit demo` audits the embedded demo cluster, `kaudit --manifests PATH` your files"
            }
            ErrorKind::Unauthorized => {
                "the server rejected the credentials: refresh them (a new token or certificate), then ctrl-r"
            }
            ErrorKind::Forbidden => {
                "this identity may not read what an audit needs: bind it to the kaudit-auditor ClusterRole (assets/rbac/kaudit-auditor.yaml)"
            }
            ErrorKind::Tls => {
                "the TLS handshake failed: check the kubeconfig's certificate-authority and the server address"
            }
            ErrorKind::Timeout | ErrorKind::Unreachable => {
                "the server did not answer: check the network, VPN or proxy, then ctrl-r (--request-timeout waits longer)"
            }
            ErrorKind::Credentials => {
                "the credential plugin failed: run it by hand (the kubeconfig's exec command) to see why"
            }
            ErrorKind::Other => "ctrl-r tries again",
        }
    }
}
