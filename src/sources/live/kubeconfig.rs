//! Which cluster, as whom: kubeconfig resolution exactly like kubectl.
//!
//! `--kubeconfig FILE` alone, else every file in `KUBECONFIG` merged (the first to set a
//! value wins), else `~/.kube/config`, else the in-cluster service account. `--context`,
//! `--cluster` and `--user` override the current context's parts. kaudit never writes the
//! kubeconfig; switching context in the TUI lasts for the session.

use super::client::ReadOnlyClient;
use crate::sources::Error;
use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

/// What the user chose on the command line.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    /// `-n`: audit only these namespaces (cluster-scoped objects are still read).
    pub namespaces: Vec<String>,
    /// Time-out of one request (kubectl's `--request-timeout`).
    pub request_timeout: Duration,
    /// Objects per page of a list.
    pub page_size: u32,
    /// Lists read at the same time.
    pub concurrency: usize,
    /// Extra tries after a 429 or 5xx.
    pub retries: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            cluster: None,
            user: None,
            namespaces: Vec::new(),
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 6,
            retries: 3,
        }
    }
}

/// A client for the chosen context and what the user should see about it.
pub struct Connection {
    pub client: ReadOnlyClient,
    /// The context's name (`in-cluster` without a kubeconfig).
    pub context: String,
    pub server: String,
    /// The context's namespace (`default` when it sets none).
    pub default_namespace: String,
    /// Who kaudit reads as and where that came from, for the report: "user alice from
    /// ~/.kube/config".
    pub identity: String,
}

/// The merged kubeconfig, as kubectl would read it; `None` when there is none at all.
pub fn load_kubeconfig(options: &LiveOptions) -> Result<Option<(Kubeconfig, String)>, Error> {
    if let Some(path) = &options.kubeconfig {
        return Kubeconfig::read_from(path)
            .map(|k| Some((k, path.display().to_string())))
            .map_err(|e| unreadable(path, &e));
    }
    if let Some(value) = std::env::var_os("KUBECONFIG")
        && !value.is_empty()
    {
        let files: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        // kubectl skips files of KUBECONFIG that do not exist, but fails on unreadable ones.
        let mut merged: Option<Kubeconfig> = None;
        for file in files.iter().filter(|f| f.exists()) {
            let next = Kubeconfig::read_from(file).map_err(|e| unreadable(file, &e))?;
            merged = Some(match merged {
                None => next,
                Some(m) => m.merge(next).map_err(|e| unreadable(file, &e))?,
            });
        }
        let label = files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        return Ok(merged.map(|k| (k, format!("KUBECONFIG={label}"))));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home.map(|h| h.join(".kube").join("config")) {
        Some(path) if path.exists() => Kubeconfig::read_from(&path)
            .map(|k| Some((k, path.display().to_string())))
            .map_err(|e| unreadable(&path, &e)),
        _ => Ok(None),
    }
}

/// Where a kubeconfig was looked for, as kubectl looks (said when none was found).
fn looked_for() -> String {
    let env = match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => format!("no file of KUBECONFIG={} exists", v.to_string_lossy()),
        _ => "KUBECONFIG is not set".into(),
    };
    let home = match std::env::var_os("HOME") {
        Some(h) => format!(
            "{} does not exist",
            PathBuf::from(h).join(".kube").join("config").display()
        ),
        None => "HOME is not set (no ~/.kube/config)".into(),
    };
    format!(
        "{env}, no --kubeconfig was given, {home}, and this is not a pod (no in-cluster service account)"
    )
}

fn unreadable(path: &std::path::Path, e: &dyn std::error::Error) -> Error {
    Error::Kubeconfig(format!("kubeconfig {}: {}", path.display(), describe(e)))
}

/// Context names of the kubeconfig and the current one (for the TUI's `:ctx`).
pub fn contexts(options: &LiveOptions) -> Result<(Vec<String>, Option<String>), Error> {
    Ok(match load_kubeconfig(options)? {
        Some((k, _)) => (
            k.contexts.iter().map(|c| c.name.clone()).collect(),
            k.current_context.clone(),
        ),
        None => (Vec::new(), None),
    })
}

/// Resolves the options to a client. Nothing is sent to the server yet.
pub async fn connect(options: &LiveOptions) -> Result<Connection, Error> {
    let (mut config, context, identity) = match load_kubeconfig(options)? {
        Some((kubeconfig, from)) => {
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone())
                .filter(|c| !c.is_empty());
            let Some(context) = context else {
                return Err(Error::Kubeconfig(format!(
                    "{from} sets no current context; choose one with --context ({})",
                    names(kubeconfig.contexts.iter().map(|c| &c.name))
                )));
            };
            if !kubeconfig.contexts.iter().any(|c| c.name == context) {
                return Err(Error::Kubeconfig(format!(
                    "context {context:?} is not in {from} (contexts: {})",
                    names(kubeconfig.contexts.iter().map(|c| &c.name))
                )));
            }
            for (flag, wanted, known) in [
                (
                    "--cluster",
                    &options.cluster,
                    kubeconfig
                        .clusters
                        .iter()
                        .map(|c| &c.name)
                        .collect::<Vec<_>>(),
                ),
                (
                    "--user",
                    &options.user,
                    kubeconfig.auth_infos.iter().map(|c| &c.name).collect(),
                ),
            ] {
                if let Some(w) = wanted
                    && !known.contains(&w)
                {
                    return Err(Error::Kubeconfig(format!(
                        "{flag} {w:?} is not in {from} (known: {})",
                        names(known.into_iter())
                    )));
                }
            }
            let user = options.user.clone().or_else(|| {
                kubeconfig
                    .contexts
                    .iter()
                    .find(|c| c.name == context)
                    .and_then(|c| c.context.as_ref())
                    .and_then(|c| c.user.clone())
            });
            let identity = format!("user {} from {from}", user.as_deref().unwrap_or("(none)"));
            let kube_options = KubeConfigOptions {
                context: Some(context.clone()),
                cluster: options.cluster.clone(),
                user: options.user.clone(),
            };
            let config = Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(|e| {
                    Error::Kubeconfig(format!("context {context:?} in {from}: {}", describe(&e)))
                })?;
            (config, context, identity)
        }
        None => {
            if options.context.is_some() {
                return Err(Error::Kubeconfig("--context given, but there is no kubeconfig (KUBECONFIG, --kubeconfig or ~/.kube/config)".into()));
            }
            let config = Config::incluster().map_err(|_| Error::NoKubeconfig(looked_for()))?;
            (
                config,
                "in-cluster".to_string(),
                "the pod's service account".to_string(),
            )
        }
    };
    trim_token_file(&mut config);
    config.read_timeout = Some(options.request_timeout);
    config.connect_timeout = Some(options.request_timeout.min(Duration::from_secs(10)));
    config.write_timeout = Some(options.request_timeout);
    // Retries are ours (with backoff and a record of what happened), not kube-rs's.
    config.default_retry = false;
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = build_client(config, options.request_timeout)
        .await
        .map_err(|e| Error::Kubeconfig(format!("context {context:?} ({server}): {e}")))?;
    Ok(Connection {
        client: ReadOnlyClient::new(client, server.clone(), options),
        context,
        server,
        default_namespace,
        identity,
    })
}

/// Builds the client on a thread of its own, under the request time-out: kube-rs runs an
/// `exec:` credential plugin right here, synchronously, and one that never exits would hang
/// kaudit whatever `--request-timeout` says. (The plugin process is left to finish on its
/// own; kaudit does not wait for it.)
async fn build_client(config: Config, timeout: Duration) -> Result<kube::Client, String> {
    let plugin = config
        .auth_info
        .exec
        .as_ref()
        .and_then(|e| e.command.clone());
    let (send, receive) = tokio::sync::oneshot::channel();
    // The client's connection pool spawns onto the runtime it is built in.
    let runtime = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("kaudit-credentials".into())
        .spawn(move || {
            let _in_runtime = runtime.enter();
            let _ = send.send(kube::Client::try_from(config).map_err(|e| describe(&e)));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    match tokio::time::timeout(timeout, receive).await {
        Ok(Ok(built)) => built,
        Ok(Err(_)) => Err("internal error while building the client".into()),
        Err(_) => Err(match plugin {
            Some(command) => format!(
                "the exec credential plugin {command:?} did not finish within {}s (--request-timeout)",
                timeout.as_secs_f32()
            ),
            None => format!(
                "the client was not ready within {}s (--request-timeout)",
                timeout.as_secs_f32()
            ),
        }),
    }
}

/// kubectl trims the whitespace around a `tokenFile`'s token (files written by `echo` end in
/// a newline); kube-rs sends it as is and fails. A token with surrounding whitespace is read
/// here, trimmed, and used directly. Files without it stay token files, which kube-rs
/// re-reads when they rotate.
fn trim_token_file(config: &mut Config) {
    let Some(path) = config.auth_info.token_file.clone() else {
        return;
    };
    if config.auth_info.token.is_some() {
        return;
    }
    if let Ok(text) = std::fs::read_to_string(&path)
        && text.trim() != text
    {
        config.auth_info.token = Some(text.trim().to_string().into());
        config.auth_info.token_file = None;
    }
}

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let all: Vec<&str> = names.map(String::as_str).collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// An error with its causes, which kube-rs keeps in the source chain.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = e.source();
    }
    text
}
