//! A loopback stand-in for kube-apiserver, for what kaudit uses of it. No real API server can
//! be installed on the build machines, so the live-cluster tests talk to this one through
//! real kubeconfig files and real TLS:
//!
//! - HTTPS with a CA generated per server (or plain HTTP), bearer tokens and client
//!   certificates; anonymous requests get 401 unless `anonymous` names a user;
//! - `/version`, discovery (`/api`, `/apis`), get of single namespaces;
//! - lists with `limit`/`continue` (opaque tokens that expire with a 410 like etcd
//!   compaction does), `resourceVersion`, and watch streams (`watch=1`, `timeoutSeconds`);
//! - SelfSubjectAccessReview, decided by the same per-user rules that guard the lists;
//! - `Status` error objects shaped like the real ones (401/403/404/405/410/429/500);
//! - faults (status codes for the first N matching requests, hangs) and latency;
//! - a record of every request, so tests can assert that kaudit never wrote anything;
//! - an HTTP CONNECT proxy for `proxy-url`.
#![allow(dead_code)]

use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A certificate authority: what signs, and its certificate.
pub struct TestCa {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
}

impl TestCa {
    fn issuer(&self) -> rcgen::Issuer<'_, &rcgen::KeyPair> {
        rcgen::Issuer::from_params(&self.params, &self.key)
    }
}
use tokio::sync::broadcast;

type Body = BoxBody<Bytes, Infallible>;

/// What a user may do: `(verb, resource, namespace)`; `"*"` matches anything and a `None`
/// namespace means every namespace (and cluster-scoped resources).
#[derive(Clone, Debug)]
pub struct Allow {
    pub verb: String,
    pub resource: String,
    pub namespace: Option<String>,
}

impl Allow {
    pub fn new(verb: &str, resource: &str, namespace: Option<&str>) -> Allow {
        Allow {
            verb: verb.into(),
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
        }
    }
}

pub fn allow_all() -> Vec<Allow> {
    vec![Allow::new("*", "*", None)]
}

/// A fault: requests whose path contains `path` (and whose query contains `query`) get
/// `code` (or hang for `hang`) the first `times` times.
#[derive(Clone, Debug)]
pub struct Fault {
    pub path: String,
    pub query: String,
    pub code: u16,
    pub times: usize,
    pub retry_after: Option<u32>,
    pub hang: Option<Duration>,
    /// Answer with this body (and `code`) instead of a `Status`.
    pub body: Option<Value>,
    /// Answer 200 with a body that never ends (chunks of `9` after `{"gitVersion":"`).
    pub endless: bool,
}

impl Fault {
    pub fn status(path: &str, code: u16, times: usize) -> Fault {
        Fault {
            path: path.into(),
            query: String::new(),
            code,
            times,
            retry_after: None,
            hang: None,
            body: None,
            endless: false,
        }
    }

    /// Answers matching requests with 200 and a JSON body that never ends.
    pub fn endless(path: &str) -> Fault {
        Fault {
            endless: true,
            ..Fault::status(path, 200, usize::MAX)
        }
    }

    /// Answers matching requests with `body` and 200, as a broken or lying server would.
    pub fn answer(path: &str, body: Value) -> Fault {
        Fault {
            body: Some(body),
            ..Fault::status(path, 200, usize::MAX)
        }
    }

    pub fn hang(path: &str, duration: Duration) -> Fault {
        Fault {
            path: path.into(),
            query: String::new(),
            code: 200,
            times: usize::MAX,
            retry_after: None,
            hang: Some(duration),
            body: None,
            endless: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub user: Option<String>,
}

pub struct Options {
    pub tls: bool,
    pub git_version: String,
    /// Bearer token -> user.
    pub tokens: BTreeMap<String, String>,
    /// Permissions per user.
    pub users: BTreeMap<String, Vec<Allow>>,
    /// Client certificates (DER) -> user.
    pub client_certs: Vec<(Vec<u8>, String)>,
    pub latency: Duration,
    pub faults: Vec<Fault>,
    /// The first this many list requests with a continue token are refused with 410 Gone,
    /// as when etcd compacted the revision the token points at.
    pub expire_continue_tokens: usize,
    /// Watches end after this long whatever the client asked (the real server spreads
    /// watch time-outs the same way), so clients must resume.
    pub watch_max: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: true,
            git_version: "v1.31.2".into(),
            tokens: BTreeMap::from([("admin-token".to_string(), "admin".to_string())]),
            users: BTreeMap::from([("admin".to_string(), allow_all())]),
            client_certs: Vec::new(),
            latency: Duration::ZERO,
            faults: Vec::new(),
            expire_continue_tokens: 0,
            watch_max: None,
        }
    }
}

/// One served resource.
#[derive(Clone, Debug)]
struct Kind {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
}

const KINDS: &[Kind] = &[
    k("", "v1", "namespaces", "Namespace", false),
    k("", "v1", "pods", "Pod", true),
    k("", "v1", "serviceaccounts", "ServiceAccount", true),
    k("", "v1", "secrets", "Secret", true),
    k(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
    ),
    k("", "v1", "podtemplates", "PodTemplate", true),
    k("", "v1", "services", "Service", true),
    k("", "v1", "nodes", "Node", false),
    k("apps", "v1", "deployments", "Deployment", true),
    k("apps", "v1", "daemonsets", "DaemonSet", true),
    k("apps", "v1", "statefulsets", "StatefulSet", true),
    k("apps", "v1", "replicasets", "ReplicaSet", true),
    k("batch", "v1", "jobs", "Job", true),
    k("batch", "v1", "cronjobs", "CronJob", true),
    k("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
    ),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
    ),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    k(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
    ),
    k("networking.k8s.io", "v1", "ingresses", "Ingress", true),
    k(
        "kyverno.io",
        "v1",
        "clusterpolicies",
        "ClusterPolicy",
        false,
    ),
    k("kyverno.io", "v1", "policies", "Policy", true),
    k(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
    ),
    k(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
    ),
    k(
        "aquasecurity.github.io",
        "v1alpha1",
        "vulnerabilityreports",
        "VulnerabilityReport",
        true,
    ),
];

const fn k(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Kind {
    Kind {
        group,
        version,
        plural,
        kind,
        namespaced,
    }
}

fn kind_of(kind: &str, api_version: &str) -> Option<&'static Kind> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    KINDS.iter().find(|k| k.kind == kind && k.group == group)
}

struct State {
    options: Options,
    /// Objects by (group, plural), in insertion order.
    objects: Mutex<BTreeMap<(String, String), Vec<Value>>>,
    resource_version: Mutex<u64>,
    /// Continue tokens refused so far.
    continues_expired: Mutex<usize>,
    fault_hits: Mutex<Vec<usize>>,
    requests: Mutex<Vec<Recorded>>,
    changes: broadcast::Sender<(String, String, Value)>,
    /// Every change with its resourceVersion, so a watch from an older version replays
    /// what it missed, as the real server's watch cache does.
    history: Mutex<Vec<(u64, String, String, Value)>>,
    proxied: Mutex<usize>,
}

pub struct TestApiServer {
    pub url: String,
    /// PEM of the CA that signed the server certificate (and client certificates).
    pub ca_pem: String,
    ca: Option<Arc<TestCa>>,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
    pub proxy_url: String,
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl TestApiServer {
    pub fn start(options: Options) -> TestApiServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let (changes, _) = broadcast::channel(4096);
        let tls = options.tls;
        let state = Arc::new(State {
            options,
            objects: Mutex::new(BTreeMap::new()),
            resource_version: Mutex::new(1000),
            continues_expired: Mutex::new(0),
            fault_hits: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            changes,
            history: Mutex::new(Vec::new()),
            proxied: Mutex::new(0),
        });
        let (ca, ca_pem, acceptor) = if tls {
            let (ca, acceptor) = tls_setup(&state.options.client_certs);
            let pem = ca.cert.pem();
            (Some(Arc::new(ca)), pem, Some(acceptor))
        } else {
            (None, String::new(), None)
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let proxy = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind proxy");
        let proxy_addr = proxy.local_addr().expect("proxy addr");
        let served = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let state = served.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let cert_user = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .and_then(|der| {
                                    state
                                        .options
                                        .client_certs
                                        .iter()
                                        .find(|(d, _)| d.as_slice() == der.as_ref())
                                        .map(|(_, u)| u.clone())
                                });
                            serve(TokioIo::new(stream), state, cert_user).await;
                        }
                        None => serve(TokioIo::new(tcp), state, None).await,
                    }
                });
            }
        });
        let proxy_state = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = proxy.accept().await else {
                    continue;
                };
                let state = proxy_state.clone();
                tokio::spawn(connect_proxy(tcp, state));
            }
        });
        let scheme = if tls { "https" } else { "http" };
        TestApiServer {
            url: format!("{scheme}://{addr}"),
            ca_pem,
            ca,
            state,
            runtime: Some(runtime),
            proxy_url: format!("http://{proxy_addr}"),
        }
    }

    /// Adds objects (each with apiVersion, kind and metadata) as they would be stored.
    pub fn add(&self, objects: impl IntoIterator<Item = Value>) {
        let mut store = self.state.objects.lock().unwrap();
        let mut rv = self.state.resource_version.lock().unwrap();
        for mut object in objects {
            let api_version = object["apiVersion"].as_str().unwrap_or("v1").to_string();
            let kind_name = object["kind"].as_str().unwrap_or("").to_string();
            let kind = kind_of(&kind_name, &api_version)
                .unwrap_or_else(|| panic!("test server does not serve {kind_name}"));
            *rv += 1;
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            object["metadata"]["uid"] = json!(format!("uid-{rv}"));
            // The real server stores managedFields; kaudit must drop them.
            object["metadata"]["managedFields"] =
                json!([{"manager": "kubectl", "operation": "Apply"}]);
            let mut history = self.state.history.lock().unwrap();
            history.push((*rv, kind.plural.to_string(), "ADDED".into(), object.clone()));
            let _ =
                self.state
                    .changes
                    .send((kind.plural.to_string(), "ADDED".into(), object.clone()));
            drop(history);
            store
                .entry((kind.group.to_string(), kind.plural.to_string()))
                .or_default()
                .push(object);
        }
    }

    /// Every request seen so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn proxied_connections(&self) -> usize {
        *self.state.proxied.lock().unwrap()
    }

    /// A client certificate for `user`, signed by this server's CA: (cert PEM, key PEM).
    /// The server must have been started with it in `client_certs`; see [`client_cert`].
    pub fn ca(&self) -> Arc<TestCa> {
        self.ca.clone().expect("TLS server")
    }
}

thread_local! {
    static NEXT_CA: std::cell::RefCell<Option<TestCa>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes a CA, a client certificate for `user` signed by it, and arranges for the next
/// server started on this thread to use that CA: returns (cert DER, cert PEM, key PEM).
pub fn client_cert(user: &str) -> (Vec<u8>, String, String) {
    let ca = new_ca();
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, user);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca.issuer()).expect("client cert");
    let out = (cert.der().to_vec(), cert.pem(), key.serialize_pem());
    NEXT_CA.with(|c| *c.borrow_mut() = Some(ca));
    out
}

fn new_ca() -> TestCa {
    let key = rcgen::KeyPair::generate().expect("ca key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kaudit test CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("ca");
    TestCa { params, key, cert }
}

fn tls_setup(client_certs: &[(Vec<u8>, String)]) -> (TestCa, tokio_rustls::TlsAcceptor) {
    let ca = NEXT_CA
        .with(|c| c.borrow_mut().take())
        .unwrap_or_else(new_ca);
    let key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    let cert = params.signed_by(&key, &ca.issuer()).expect("server cert");
    let chain = vec![cert.der().clone()];
    let private = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("key der");
    let builder = rustls::ServerConfig::builder();
    let config = if client_certs.is_empty() {
        builder
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .expect("server config")
    } else {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert.der().clone()).expect("root");
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .allow_unauthenticated()
            .build()
            .expect("verifier");
        builder
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, private)
            .expect("server config")
    };
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca, tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve<I>(io: I, state: Arc<State>, cert_user: Option<String>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let state = state.clone();
        let cert_user = cert_user.clone();
        async move { Ok::<_, Infallible>(handle(state, cert_user, request).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

fn json_response(code: u16, value: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(full(serde_json::to_vec(value).expect("json")))
        .expect("response")
}

/// A `Status` error as kube-apiserver writes it.
fn status(code: u16, reason: &str, message: &str, details: Value) -> Response<Body> {
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "details": details, "code": code,
        }),
    )
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(b)) = (bytes[i], hex) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn allowed(state: &State, user: &str, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
    state.options.users.get(user).is_some_and(|rules| {
        rules.iter().any(|a| {
            (a.verb == "*" || a.verb == verb)
                && (a.resource == "*" || a.resource == resource)
                && match (a.namespace.as_deref(), namespace) {
                    (None, _) => true,
                    (Some(x), Some(y)) => x == y,
                    (Some(_), None) => false,
                }
        })
    })
}

fn forbidden(
    user: &str,
    verb: &str,
    group: &str,
    resource: &str,
    ns: Option<&str>,
) -> Response<Body> {
    let scope = match ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    status(
        403,
        "Forbidden",
        &format!(
            "{resource} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}"
        ),
        json!({"group": group, "kind": resource}),
    )
}

async fn handle(
    state: Arc<State>,
    cert_user: Option<String>,
    request: Request<Incoming>,
) -> Response<Body> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let token_user = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| state.options.tokens.get(t.trim()).cloned());
    let user = token_user.or(cert_user);
    state.requests.lock().unwrap().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        user: user.clone(),
    });
    if !state.options.latency.is_zero() {
        tokio::time::sleep(state.options.latency).await;
    }
    // Faults first: they stand for a server in trouble, whoever asks.
    let fault = {
        let mut hits = state.fault_hits.lock().unwrap();
        hits.resize(state.options.faults.len(), 0);
        state
            .options
            .faults
            .iter()
            .enumerate()
            .find(|(i, f)| path.contains(&f.path) && query.contains(&f.query) && hits[*i] < f.times)
            .map(|(i, f)| {
                hits[i] += 1;
                f.clone()
            })
    };
    if let Some(fault) = fault {
        if fault.endless {
            return endless_response();
        }
        if let Some(body) = &fault.body {
            return json_response(fault.code, body);
        }
        if let Some(hang) = fault.hang {
            tokio::time::sleep(hang).await;
        } else {
            let reason = match fault.code {
                429 => "TooManyRequests",
                500 => "InternalError",
                503 => "ServiceUnavailable",
                401 => "Unauthorized",
                _ => "",
            };
            let details = match fault.retry_after {
                Some(s) => json!({"retryAfterSeconds": s}),
                None => json!({}),
            };
            return status(fault.code, reason, "injected fault", details);
        }
    }
    let Some(user) = user else {
        return status(401, "Unauthorized", "Unauthorized", json!({}));
    };
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    match (method.as_str(), path.as_str()) {
        ("GET", "/version") => json_response(
            200,
            &json!({"major": "1", "minor": state.options.git_version.split('.').nth(1).unwrap_or("31"),
                    "gitVersion": state.options.git_version, "platform": "linux/amd64"}),
        ),
        ("GET", "/api") => json_response(200, &json!({"kind": "APIVersions", "versions": ["v1"]})),
        ("GET", "/apis") => {
            let mut groups: BTreeMap<&str, &str> = BTreeMap::new();
            for k in KINDS.iter().filter(|k| !k.group.is_empty()) {
                groups.insert(k.group, k.version);
            }
            groups.insert("authorization.k8s.io", "v1");
            let groups: Vec<Value> = groups
                .iter()
                .map(|(g, v)| {
                    let gv = format!("{g}/{v}");
                    json!({"name": g, "versions": [{"groupVersion": gv, "version": v}],
                           "preferredVersion": {"groupVersion": gv, "version": v}})
                })
                .collect();
            json_response(
                200,
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            )
        }
        ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") => {
            let review: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let attrs = &review["spec"]["resourceAttributes"];
            let ns = attrs["namespace"].as_str().filter(|s| !s.is_empty());
            let ok = allowed(
                &state,
                &user,
                attrs["verb"].as_str().unwrap_or(""),
                attrs["resource"].as_str().unwrap_or(""),
                ns,
            );
            let mut answer = review.clone();
            answer["status"] = if ok {
                json!({"allowed": true, "reason": "test server: allowed"})
            } else {
                json!({"allowed": false})
            };
            json_response(201, &answer)
        }
        ("GET", _) => get(&state, &user, &path, &query).await,
        _ => status(
            405,
            "MethodNotAllowed",
            &format!("the test server refuses {method}: kaudit must never write"),
            json!({}),
        ),
    }
}

/// Splits `/api/v1/namespaces/ns/pods` or `/apis/g/v/pods` into (group, namespace, plural, name).
fn parse_path(path: &str) -> Option<(String, Option<String>, String, Option<String>)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("".to_string(), rest.to_vec()),
        ["apis", g, _v, rest @ ..] => (g.to_string(), rest.to_vec()),
        _ => return None,
    };
    match rest.as_slice() {
        [plural] => Some((group, None, plural.to_string(), None)),
        ["namespaces", name] if group.is_empty() => {
            Some((group, None, "namespaces".into(), Some(name.to_string())))
        }
        ["namespaces", ns, plural] => Some((group, Some(ns.to_string()), plural.to_string(), None)),
        ["namespaces", ns, plural, name] => Some((
            group,
            Some(ns.to_string()),
            plural.to_string(),
            Some(name.to_string()),
        )),
        _ => None,
    }
}

async fn get(state: &Arc<State>, user: &str, path: &str, query: &str) -> Response<Body> {
    let Some((group, namespace, plural, name)) = parse_path(path) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        );
    };
    let Some(kind) = KINDS
        .iter()
        .find(|k| k.group == group && k.plural == plural)
    else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        );
    };
    let ns = namespace.as_deref();
    let is_watch = query_param(query, "watch").is_some_and(|v| v == "1" || v == "true");
    let verb = match (&name, is_watch) {
        (Some(_), _) => "get",
        (None, true) => "watch",
        (None, false) => "list",
    };
    let authz_ns = if kind.plural == "namespaces" {
        name.as_deref().or(ns)
    } else {
        ns
    };
    if !allowed(state, user, verb, kind.plural, authz_ns) {
        return forbidden(user, verb, kind.group, kind.plural, authz_ns);
    }
    if let Some(name) = name {
        let store = state.objects.lock().unwrap();
        let found = store
            .get(&(group.clone(), plural.clone()))
            .into_iter()
            .flatten()
            .find(|o| {
                (ns.is_none() || o["metadata"]["namespace"].as_str() == ns)
                    && o["metadata"]["name"].as_str() == Some(&name)
            });
        return match found {
            Some(o) => json_response(200, o),
            None => status(
                404,
                "NotFound",
                &format!("{plural} \"{name}\" not found"),
                json!({"name": name, "kind": plural}),
            ),
        };
    }
    let rv = state.resource_version.lock().unwrap().to_string();
    if is_watch {
        return watch(state, kind, ns, query);
    }
    let limit: usize = query_param(query, "limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let start = match query_param(query, "continue") {
        Some(token) => {
            let token = decode(token);
            let Some(offset) = token
                .strip_suffix("/=")
                .and_then(|t| t.parse::<usize>().ok())
            else {
                return status(400, "BadRequest", "continue key is not valid", json!({}));
            };
            let mut expired = state.continues_expired.lock().unwrap();
            if *expired < state.options.expire_continue_tokens {
                *expired += 1;
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    json!({}),
                );
            }
            offset
        }
        None => 0,
    };
    let api_version = if kind.group.is_empty() {
        kind.version.to_string()
    } else {
        format!("{}/{}", kind.group, kind.version)
    };
    // The page is written straight from the store, as the real server streams from its
    // cache; list items carry no apiVersion/kind.
    let store = state.objects.lock().unwrap();
    let matching = || {
        store
            .get(&(group.clone(), plural.clone()))
            .into_iter()
            .flatten()
            .filter(|o| ns.is_none() || o["metadata"]["namespace"].as_str() == ns)
    };
    let total = matching().count();
    let end = start.saturating_add(limit).min(total);
    let mut metadata = json!({"resourceVersion": rv});
    if end < total {
        // Base64-looking tokens with characters that need escaping in a query.
        metadata["continue"] = json!(format!("{end}/="));
        metadata["remainingItemCount"] = json!(total - end);
    }
    let mut body = serde_json::to_vec(&json!({"kind": format!("{}List", kind.kind),
        "apiVersion": api_version, "metadata": metadata}))
    .expect("json");
    body.pop(); // the closing brace
    body.extend_from_slice(b",\"items\":[");
    for (i, object) in matching()
        .skip(start)
        .take(end.saturating_sub(start))
        .enumerate()
    {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'{');
        let mut first = true;
        for (key, value) in object.as_object().into_iter().flatten() {
            if key == "apiVersion" || key == "kind" {
                continue;
            }
            if !first {
                body.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut body, key).expect("json");
            body.push(b':');
            serde_json::to_writer(&mut body, value).expect("json");
        }
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
    drop(store);
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(full(body))
        .expect("response")
}

fn watch(state: &Arc<State>, kind: &'static Kind, ns: Option<&str>, query: &str) -> Response<Body> {
    let asked = query_param(query, "timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let timeout = state.options.watch_max.map_or(asked, |max| max.min(asked));
    let since: u64 = query_param(query, "resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    // Subscribe and take the missed changes under the history lock, so that none falls
    // between the two.
    let (mut changes, missed) = {
        let history = state.history.lock().unwrap();
        let missed: Vec<(String, String, Value)> = history
            .iter()
            .filter(|(rv, ..)| *rv > since)
            .map(|(_, p, t, o)| (p.clone(), t.clone(), o.clone()))
            .collect();
        (state.changes.subscribe(), missed)
    };
    let ns = ns.map(str::to_string);
    let wanted = move |plural: &str, object: &Value| {
        plural == kind.plural
            && ns
                .as_deref()
                .is_none_or(|n| object["metadata"]["namespace"].as_str() == Some(n))
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let line = |kind_of_change: &str, object: &Value| {
            let mut line = serde_json::to_vec(&json!({"type": kind_of_change, "object": object}))
                .expect("json");
            line.push(b'\n');
            Bytes::from(line)
        };
        for (plural, kind_of_change, object) in &missed {
            if wanted(plural, object) && tx.send(line(kind_of_change, object)).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                change = changes.recv() => {
                    let Ok((plural, kind_of_change, object)) = change else { break };
                    if !wanted(&plural, &object) {
                        continue;
                    }
                    if tx.send(line(&kind_of_change, &object)).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("transfer-encoding", "chunked")
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .expect("response")
}

/// A 200 whose JSON body never ends: `{"gitVersion":"999...` in 64 KiB chunks, as fast as
/// the client reads.
fn endless_response() -> Response<Body> {
    let start = futures_util::stream::once(async {
        Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"{\"gitVersion\":\"")))
    });
    let chunk = Bytes::from(vec![b'9'; 64 << 10]);
    let rest = futures_util::stream::repeat_with(move || Ok(Frame::data(chunk.clone())));
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(StreamBody::new(
            futures_util::StreamExt::chain(start, rest),
        )))
        .expect("response")
}

/// A minimal HTTP CONNECT proxy, enough for `proxy-url` in a kubeconfig.
async fn connect_proxy(mut client: tokio::net::TcpStream, state: Arc<State>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if client.read_exact(&mut byte).await.is_err() {
            return;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let Some(target) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("CONNECT "))
        .and_then(|l| l.split_whitespace().next())
    else {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await;
        return;
    };
    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    *state.proxied.lock().unwrap() += 1;
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
