//! Live clusters, end to end: the kaudit binary and library against the loopback test API
//! server (tests/common/apiserver.rs) through real kubeconfig files and real TLS.

mod common;

use common::apiserver::{Allow, Fault, Options, TestApiServer, allow_all, client_cert};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A small cluster: a restricted namespace with a clean Deployment (and its ReplicaSet and
/// pod), a namespace with a privileged pod, RBAC, a NetworkPolicy and a Secret that kaudit
/// must never ask for.
fn cluster() -> Vec<Value> {
    let container = |name: &str, image: &str, sc: Value| {
        json!({"name": name, "image": image, "securityContext": sc,
               "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                             "limits": {"cpu": "1", "memory": "128Mi"}}})
    };
    let hardened = json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true,
        "runAsUser": 10001, "runAsGroup": 10001, "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}});
    let web_spec = json!({"automountServiceAccountToken": false, "serviceAccountName": "web",
        "containers": [container("web", "registry.example.com/web@sha256:1111111111111111111111111111111111111111111111111111111111111111", hardened.clone())]});
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web",
            "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tools"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web", "namespace": "web"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": web_spec}}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-5d4f", "namespace": "web",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "x", "controller": true}]},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": web_spec}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-5d4f-abcde", "namespace": "web",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d4f", "uid": "y", "controller": true}]},
            "spec": web_spec,
            "status": {"containerStatuses": [{"name": "web", "imageID": "registry.example.com/web@sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "tools"},
            "spec": {"hostPID": true, "containers": [container("shell", "busybox:latest", json!({"privileged": true}))]},
            "status": {"containerStatuses": [{"name": "shell", "imageID": "docker.io/library/busybox@sha256:2222222222222222222222222222222222222222222222222222222222222222"}]}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-password", "namespace": "web"},
            "data": {"password": "aHVudGVyMg=="}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "everything"},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "dev-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "User", "name": "dev@example.com", "apiGroup": "rbac.authorization.k8s.io"}]}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "web"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
    ]
}

fn server(options: Options) -> TestApiServer {
    let server = TestApiServer::start(options);
    server.add(cluster());
    server
}

/// A kubeconfig with one context per entry of `users` (context = user name), all on `server`.
struct Kubeconfig {
    dir: tempfile::TempDir,
}

impl Kubeconfig {
    fn new() -> Kubeconfig {
        Kubeconfig {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `name` with the given cluster fields, user fields and current context. The CA
    /// goes next to it as `ca.crt`, referenced by a relative path as kubeadm does.
    fn write(
        &self,
        name: &str,
        server: &TestApiServer,
        cluster: Value,
        users: &[(&str, Value)],
        current: &str,
    ) -> PathBuf {
        std::fs::write(self.path("ca.crt"), &server.ca_pem).expect("ca");
        let mut cluster = cluster;
        cluster["server"] = json!(server.url);
        let users_yaml: Vec<Value> = users
            .iter()
            .map(|(n, u)| json!({"name": n, "user": u}))
            .collect();
        let contexts: Vec<Value> = users
            .iter()
            .map(|(n, _)| json!({"name": n, "context": {"cluster": "test", "user": n}}))
            .collect();
        let config = json!({"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "test", "cluster": cluster}],
            "users": users_yaml, "contexts": contexts, "current-context": current});
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_string_pretty(&config).expect("json")).expect("write");
        path
    }

    fn admin(&self, server: &TestApiServer) -> PathBuf {
        self.admin_with("config", server, json!({"certificate-authority": "ca.crt"}))
    }

    /// `name`: the admin token's only context, on a cluster entry with these fields.
    fn admin_with(&self, name: &str, server: &TestApiServer, cluster: Value) -> PathBuf {
        self.write(
            name,
            server,
            cluster,
            &[("admin", json!({"token": "admin-token"}))],
            "admin",
        )
    }
}

fn kaudit(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaudit"));
    command
        .args(args)
        .env("HOME", home.path())
        .env("KAUDIT_CONFIG_DIR", home.path())
        .env("KAUDIT_DATA_DIR", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run kaudit")
}

/// `kaudit scan --kubeconfig FILE --format json` and more arguments.
fn scan_json(kubeconfig: &Path, more: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(more);
    kaudit(&args, &[])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(out)))
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap_or(""),
                f["subject"]["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn scans_a_cluster_read_only_and_never_asks_for_secrets() {
    let server = server(Options::default());
    let kc = Kubeconfig::new();
    let config = kc.admin(&server);
    let out = scan_json(&config, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_report(&out);
    assert_eq!(report["source"]["kind"], "live");
    assert_eq!(report["source"]["live"], true);
    assert_eq!(report["source"]["complete"], true);
    assert_eq!(report["source"]["server_version"], "v1.31.2");
    // `latest` means the server's version, as the admission plugin would apply it.
    assert_eq!(
        report["summary"]["pss_version"],
        "latest (evaluated as v1.31)"
    );
    let desc = report["source"]["description"].as_str().unwrap();
    assert!(
        desc.contains("context admin")
            && desc.contains("user admin from")
            && desc.contains(&server.url),
        "{desc}"
    );
    let found = rule_ids(&report);
    // The privileged debug pod is found; the hardened Deployment is audited once, as the
    // Deployment (not again as its ReplicaSet and pod).
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("PSS") && f.ends_with(" debug")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("RBAC") && f.ends_with(" dev-admin")),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|f| f.ends_with("web-5d4f") || f.ends_with("web-5d4f-abcde")),
        "{found:?}"
    );
    assert!(
        report["not_evaluated"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n["reason"].as_str().unwrap_or("").contains("403"))
    );

    let requests = server.requests();
    for r in &requests {
        let review = r.method == "POST"
            && r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
        assert!(
            r.method == "GET" || review,
            "kaudit sent {} {}",
            r.method,
            r.path
        );
        assert!(!r.path.contains("secrets"), "kaudit asked for {}", r.path);
        assert_eq!(r.user.as_deref(), Some("admin"));
    }
    // A namespace that does not exist is said to be missing, not audited as empty.
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            config.to_str().unwrap(),
            "-n",
            "nosuch",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_report(&out);
    assert!(
        report["source"]["notes"]
            .to_string()
            .contains("namespace nosuch does not exist")
    );
    assert!(report["not_evaluated"].to_string().contains("404"));

    // Lists are paged.
    assert!(
        requests
            .iter()
            .filter(|r| r.path.ends_with("/pods"))
            .all(|r| r.query.contains("limit=500"))
    );
}

#[test]
fn pages_are_followed_and_an_expired_continue_token_restarts_the_list() {
    let server = server(Options {
        // The first continue token presented has expired: the pod list (the first list
        // with more than one page) must start over.
        expire_continue_tokens: 1,
        ..Options::default()
    });
    server.add((0..1050).map(|i| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("bulk-{i}"), "namespace": "bulk"},
               "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    }));
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&server)),
        page_size: 100,
        concurrency: 1,
        ..Default::default()
    };
    let read = kaudit::sources::live::read_cluster(&options).expect("read");
    let inventory = read.into_inventory();
    let bulk = inventory
        .workloads
        .iter()
        .filter(|w| &*w.namespace == "bulk")
        .count();
    assert_eq!(bulk, 1050, "every page read, none twice");
    let pod_pages = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .count();
    assert_eq!(
        pod_pages, 13,
        "11 pages of 100, one refused continue, one restart"
    );
    assert!(inventory.access_gaps.is_empty());
}

#[test]
fn kubeconfig_resolution_follows_kubectl() {
    let server = server(Options {
        tokens: BTreeMap::from([
            ("admin-token".into(), "admin".into()),
            ("file-token".into(), "filer".into()),
            ("exec-token".into(), "plugin".into()),
        ]),
        users: BTreeMap::from([
            ("admin".into(), allow_all()),
            ("filer".into(), allow_all()),
            ("plugin".into(), allow_all()),
        ]),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    // KUBECONFIG with two files: the first sets current-context and wins on the shared
    // user name; the second adds a context of its own.
    let first = kc.admin_with("first", &server, json!({"certificate-authority": "ca.crt"}));
    let second = kc.write(
        "second",
        &server,
        json!({"certificate-authority": "ca.crt"}),
        &[
            ("admin", json!({"token": "wrong"})),
            ("filer", json!({"tokenFile": "token"})),
        ],
        "filer",
    );
    std::fs::write(kc.path("token"), "file-token\n").unwrap();
    let joined = std::env::join_paths([&first, &kc.path("missing"), &second]).unwrap();
    let joined = PathBuf::from(joined);
    let out = kaudit(&["scan", "--format", "json"], &[("KUBECONFIG", &joined)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        json_report(&out)["source"]["description"]
            .as_str()
            .unwrap()
            .contains("context admin")
    );
    // --context picks the second file's context, whose token comes from a file (relative
    // to that kubeconfig).
    let out = kaudit(
        &["scan", "--context", "filer", "--format", "json"],
        &[("KUBECONFIG", &joined)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.user.as_deref() == Some("filer"))
    );
    // --user overrides the context's user: the first file's admin entry won the merge, so
    // its token (not the second file's "wrong") is used.
    let out = kaudit(
        &[
            "scan",
            "--context",
            "filer",
            "--user",
            "admin",
            "--format",
            "json",
        ],
        &[("KUBECONFIG", &joined)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // --cluster overrides the context's cluster: here the context points at a dead one.
    let port = dead_port();
    let two_clusters = json!({"apiVersion": "v1", "kind": "Config",
        "clusters": [
            {"name": "dead", "cluster": {"server": format!("https://127.0.0.1:{port}")}},
            {"name": "live", "cluster": {"server": server.url, "certificate-authority": "ca.crt"}}],
        "users": [{"name": "admin", "user": {"token": "admin-token"}}],
        "contexts": [{"name": "c", "context": {"cluster": "dead", "user": "admin"}}],
        "current-context": "c"});
    let path = kc.path("two-clusters");
    std::fs::write(&path, two_clusters.to_string()).unwrap();
    let out = kaudit(&["scan", "--kubeconfig", path.to_str().unwrap()], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the context's own cluster is dead"
    );
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            path.to_str().unwrap(),
            "--cluster",
            "live",
            "-A",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            path.to_str().unwrap(),
            "--cluster",
            "nope",
        ],
        &[],
    );
    assert!(
        stderr(&out).contains("--cluster \"nope\" is not in")
            && stderr(&out).contains("dead, live"),
        "{}",
        stderr(&out)
    );
    // kaudit never writes the kubeconfig.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        two_clusters.to_string()
    );

    // An unknown context is named with the ones that exist.
    let out = kaudit(&["scan", "--context", "prod"], &[("KUBECONFIG", &joined)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("context \"prod\" is not in")
            && stderr(&out).contains("admin, filer"),
        "{}",
        stderr(&out)
    );

    // An exec credential plugin, as cloud providers use.
    let plugin = kc.path("plugin.sh");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\"}}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exec = kc.write(
        "exec",
        &server,
        json!({"certificate-authority": "ca.crt"}),
        &[("plugin", json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": plugin, "interactiveMode": "Never"}}))],
        "plugin",
    );
    let out = scan_json(&exec, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.user.as_deref() == Some("plugin"))
    );

    // No kubeconfig anywhere and not in a cluster: a clear way out.
    let out = kaudit(&["scan"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no kubeconfig") && stderr(&out).contains("kaudit demo"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn client_certificates_authenticate() {
    let (der, cert_pem, key_pem) = client_cert("carol");
    let server = server(Options {
        client_certs: vec![(der, "carol".into())],
        users: BTreeMap::from([("carol".into(), allow_all())]),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    std::fs::write(kc.path("carol.crt"), cert_pem).unwrap();
    std::fs::write(kc.path("carol.key"), key_pem).unwrap();
    let config = kc.write(
        "config",
        &server,
        json!({"certificate-authority": "ca.crt"}),
        &[(
            "carol",
            json!({"client-certificate": "carol.crt", "client-key": "carol.key"}),
        )],
        "carol",
    );
    let out = scan_json(&config, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.user.as_deref() == Some("carol"))
    );
}

#[test]
fn tls_is_verified_unless_the_kubeconfig_says_otherwise() {
    let server = server(Options::default());
    let kc = Kubeconfig::new();
    let unverified = kc.admin_with("none", &server, json!({}));
    let out = kaudit(&["scan", "--kubeconfig", unverified.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TLS error"), "{}", stderr(&out));
    let insecure = kc.admin_with(
        "insecure",
        &server,
        json!({"insecure-skip-tls-verify": true}),
    );
    let out = scan_json(&insecure, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn plain_http_and_proxies_work() {
    let server = server(Options {
        tls: false,
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let direct = kc.admin_with("direct", &server, json!({}));
    let out = scan_json(&direct, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.proxied_connections(), 0);
    let proxied = kc.admin_with("proxied", &server, json!({"proxy-url": server.proxy_url}));
    let out = scan_json(&proxied, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(server.proxied_connections() > 0, "the proxy was not used");
}

#[test]
fn partial_access_is_not_evaluated_never_a_pass() {
    // Alice may read workloads and service accounts in `tools` only: no namespace list, no
    // RBAC, nothing in `web`.
    let alice: Vec<Allow> = [
        "pods",
        "deployments",
        "replicasets",
        "daemonsets",
        "statefulsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
        "podtemplates",
        "serviceaccounts",
        "networkpolicies",
        "roles",
        "rolebindings",
    ]
    .into_iter()
    .map(|resource| Allow::new("list", resource, Some("tools")))
    .chain([Allow::new("get", "namespaces", Some("tools"))])
    .collect();
    let server = server(Options {
        tokens: BTreeMap::from([("alice-token".into(), "alice".into())]),
        users: BTreeMap::from([("alice".into(), alice)]),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let mut cluster = json!({"certificate-authority": "ca.crt"});
    cluster["server"] = json!(server.url);
    std::fs::write(kc.path("ca.crt"), &server.ca_pem).unwrap();
    let config = json!({"apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": "alice", "user": {"token": "alice-token"}}],
        "contexts": [{"name": "alice", "context": {"cluster": "test", "user": "alice", "namespace": "tools"}}],
        "current-context": "alice"});
    let path = kc.path("config");
    std::fs::write(&path, config.to_string()).unwrap();

    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on-incomplete",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "incomplete audit: {}",
        stderr(&out)
    );
    let report = json_report(&out);
    assert_eq!(report["source"]["complete"], false);
    let notes = report["source"]["notes"].to_string();
    assert!(
        notes.contains("namespaces cannot be listed") && notes.contains("tools"),
        "{notes}"
    );
    assert_eq!(
        report["source"]["scope"],
        json!(["tools"]),
        "the header says the scope"
    );
    // The privileged pod in `tools` is still found.
    assert!(
        rule_ids(&report)
            .iter()
            .any(|f| f.starts_with("PSS") && f.ends_with(" debug"))
    );
    // RBAC could not be read: its rules are not evaluated, naming resource and verb, and
    // the RBAC area has no pass.
    let ne = report["not_evaluated"].as_array().unwrap();
    let rbac: Vec<&Value> = ne
        .iter()
        .filter(|n| n["rule_id"].as_str().unwrap().starts_with("RBAC"))
        .collect();
    assert!(!rbac.is_empty());
    assert!(
        rbac.iter().any(
            |n| n["scope"].as_str().unwrap().contains("clusterrolebindings")
                && n["reason"].as_str().unwrap().contains("missing verb list")
        ),
        "{rbac:?}"
    );
    assert!(!rule_ids(&report).iter().any(|f| f.starts_with("RBAC")));
    let rbac_passed: u64 = report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule_id"].as_str().unwrap().starts_with("RBAC001"))
        .map(|c| c["passed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(rbac_passed, 0, "nothing read is nothing passed");
    // The markdown report says it too.
    let out = kaudit(&["scan", "--kubeconfig", path.to_str().unwrap()], &[]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("namespaces cannot be listed"), "{md}");
    assert!(md.contains("clusterrolebindings"), "{md}");

    // -n names a namespace alice cannot read: a gap, not an empty pass.
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            path.to_str().unwrap(),
            "-n",
            "web",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_report(&out);
    let ne = report["not_evaluated"].to_string();
    assert!(ne.contains("pods in namespace web"), "{ne}");
}

#[test]
fn faults_get_retries_time_outs_and_clear_messages() {
    // Throttled twice (with Retry-After) and a 503, then fine: the scan succeeds.
    let server = server(Options {
        faults: vec![
            Fault {
                retry_after: Some(1),
                ..Fault::status("/api/v1/pods", 429, 2)
            },
            Fault::status("/apis/apps/v1/deployments", 503, 1),
        ],
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let config = kc.admin(&server);
    let out = scan_json(&config, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pod_lists = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .count();
    assert_eq!(pod_lists, 3, "two throttled tries, then the list");

    // A server that keeps failing: exit 2, the status in the message, after the retries.
    let failing = server_with(vec![Fault::status("/api/v1/pods", 500, usize::MAX)]);
    let config = kc.admin(&failing);
    let out = kaudit(&["scan", "--kubeconfig", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("listing pods: 500 InternalError: injected fault"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        failing
            .requests()
            .iter()
            .filter(|r| r.path == "/api/v1/pods")
            .count(),
        4,
        "1 try + 3 retries"
    );

    // Expired credentials.
    let expired = server_with(vec![Fault::status("/version", 401, usize::MAX)]);
    let config = kc.admin(&expired);
    let out = kaudit(&["scan", "--kubeconfig", config.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("401 Unauthorized: the server rejected the credentials"),
        "{}",
        stderr(&out)
    );

    // A server that never answers: the request time-out ends it.
    let hanging = server_with(vec![Fault::hang("/apis/rbac", Duration::from_secs(30))]);
    let config = kc.admin(&hanging);
    let started = std::time::Instant::now();
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--request-timeout",
            "1",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no answer within 1 s"),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    // A slow server (200 ms a request) is slow, not broken.
    let slow = TestApiServer::start(Options {
        latency: Duration::from_millis(200),
        ..Options::default()
    });
    slow.add(cluster());
    let config = kc.admin(&slow);
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--request-timeout",
            "1",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Nothing listening.
    let port = dead_port();
    let dead = kc.path("dead");
    std::fs::write(&dead, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"https://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: dead\n  context: {{cluster: c, user: u}}\ncurrent-context: dead\n"
    )).unwrap();
    let out = kaudit(&["scan", "--kubeconfig", dead.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot reach the server")
            && stderr(&out).contains("onnection refused"),
        "{}",
        stderr(&out)
    );
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn server_with(faults: Vec<Fault>) -> TestApiServer {
    server(Options {
        faults,
        ..Options::default()
    })
}

#[test]
fn snapshots_rerun_the_same_audit_offline() {
    // Everything but ClusterRoleBindings may be listed, to check that the gap survives
    // the round trip.
    let lists = [
        "namespaces",
        "pods",
        "serviceaccounts",
        "deployments",
        "replicasets",
        "daemonsets",
        "statefulsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
        "podtemplates",
        "roles",
        "rolebindings",
        "clusterroles",
        "networkpolicies",
        "ingresses",
        "nodes",
        "clusterpolicies",
        "policies",
        "vulnerabilityreports",
        "validatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
    ];
    let server = server(Options {
        users: BTreeMap::from([(
            "admin".into(),
            lists
                .into_iter()
                .map(|resource| Allow::new("list", resource, None))
                .collect(),
        )]),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let config = kc.admin(&server);
    let snapshot = kc.path("cluster.json");
    let out = kaudit(
        &[
            "snapshot",
            "--kubeconfig",
            config.to_str().unwrap(),
            "-o",
            snapshot.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 not readable"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&snapshot).unwrap();
    assert!(!text.contains("managedFields"), "managedFields are dropped");
    assert!(
        !text.contains("\"Secret\"") && !text.contains("aHVudGVyMg=="),
        "no Secret in a snapshot"
    );
    assert!(text.contains("\"serverVersion\":\"v1.31.2\""));

    let live = scan_json(&config, &[]);
    let offline = kaudit(
        &[
            "scan",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    let (live, offline) = (json_report(&live), json_report(&offline));
    let ids = |r: &Value| -> Vec<String> {
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert!(!ids(&live).is_empty());
    let describe = |r: &Value| -> Vec<String> {
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {} {}", f["rule_id"], f["subject"], f["message"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(describe(&live), describe(&offline), "same findings");
    assert_eq!(ids(&live), ids(&offline), "same findings, same ids");
    assert_eq!(offline["source"]["kind"], "snapshot");
    assert_eq!(offline["source"]["server_version"], "v1.31.2");
    let gap = |r: &Value| {
        r["not_evaluated"]
            .to_string()
            .contains("clusterrolebindings")
    };
    assert!(gap(&live) && gap(&offline), "the gap is kept offline");
    // Offline means offline: the snapshot scan sent nothing.
    let before = server.requests().len();
    let _ = kaudit(
        &[
            "scan",
            "--manifests",
            snapshot.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn watches_stream_changes_after_the_list() {
    let server = server(Options::default());
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&server)),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use futures_util::StreamExt;
        let connection = kaudit::sources::live::kubeconfig::connect(&options).await.expect("connect");
        let listed = connection.client.list("/api/v1/pods").await.expect("list");
        let mut events = Box::pin(
            connection
                .client
                .watch("/api/v1/pods", &listed.resource_version, 5)
                .await
                .expect("watch"),
        );
        server.add([json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "tools"},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}})]);
        let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.expect("an event in time");
        match event {
            Some(Ok(kaudit::sources::live::client::WatchEvent::Upsert(pod))) => assert_eq!(pod["metadata"]["name"], "late"),
            other => panic!("unexpected {other:?}"),
        }
    });
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.query.contains("watch=1"))
    );
}

#[test]
fn watches_resume_after_the_server_ends_them() {
    let server = server(Options {
        watch_max: Some(Duration::from_millis(300)),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&server)),
        ..Default::default()
    };
    let points = kaudit::sources::live::read_cluster(&options)
        .expect("read")
        .into_inventory()
        .watch_points;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = kaudit::sources::live::watch::follow(
            &options,
            points,
            || true,
            |what| tx.send(what).is_ok(),
        );
    });
    // Well after the first watches ended: the change is still seen, from the version
    // the watch had reached.
    std::thread::sleep(Duration::from_millis(1200));
    server.add([json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "miner", "namespace": "tools"},
        "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}})]);
    let what = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("a change after reconnecting");
    assert_eq!(what, "DaemonSet tools/miner changed");
    let daemonset_watches = server
        .requests()
        .iter()
        .filter(|r| r.path == "/apis/apps/v1/daemonsets" && r.query.contains("watch=1"))
        .count();
    assert!(
        daemonset_watches >= 2,
        "reconnected: {daemonset_watches} watches"
    );
}

#[test]
fn the_tui_follows_the_cluster_and_switches_context() {
    use common::tmux::{Tmux, tmux_or_skip};
    if !tmux_or_skip("the_tui_follows_the_cluster_and_switches_context") {
        return;
    }
    let server = server(Options::default());
    let kc = Kubeconfig::new();
    let config = kc.write(
        "config",
        &server,
        json!({"certificate-authority": "ca.crt"}),
        &[
            ("admin", json!({"token": "admin-token"})),
            ("expired", json!({"token": "expired-token"})),
        ],
        "admin",
    );
    let dir = kc.dir.path().to_str().unwrap().to_string();
    let command = format!(
        "env HOME={dir} KAUDIT_CONFIG_DIR={dir}/cfg KAUDIT_DATA_DIR={dir}/data TERM=xterm-256color {} --kubeconfig {}; sleep 30",
        env!("CARGO_BIN_EXE_kaudit"),
        config.display()
    );
    let tmux = Tmux::start(kc.dir.path(), 160, 40, &command);
    let screen = tmux.wait_for("Score by area");
    assert!(
        screen.contains("cluster (current context, read-only)"),
        "{screen}"
    );

    // A pod appears after the read: the watch tells the header.
    server.add([json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "intruder", "namespace": "tools"},
                       "spec": {"containers": [{"name": "c", "image": "evil:latest", "securityContext": {"privileged": true}}]}})]);
    tmux.wait_for("1 change since");

    // ctrl-r re-reads: the new pod is audited and the change count clears.
    tmux.keys(&["C-r"]);
    tmux.wait_for("re-read: the views show the new read");
    tmux.keys(&[":findings", "Enter"]);
    tmux.keys(&["/", "intruder", "Enter"]);
    tmux.wait_for("Pod/intruder");

    // :ctx lists the contexts; switching to one whose token the server rejects keeps the
    // previous read on screen and says why.
    tmux.keys(&[":ctx", "Enter"]);
    tmux.wait_for("contexts: *admin, expired");
    tmux.keys(&[":ctx expired", "Enter"]);
    let screen = tmux.wait_for("re-read failed, still showing the previous read");
    assert!(screen.contains("401 Unauthorized"), "{screen}");
    assert!(screen.contains("Pod/intruder"), "{screen}");
    tmux.keys(&["q"]);
    // Nothing but reads and access reviews reached the server, from either context.
    for r in server.requests() {
        let review = r.method == "POST" && r.path.ends_with("/selfsubjectaccessreviews");
        assert!(r.method == "GET" || review, "{} {}", r.method, r.path);
    }
}

/// The ClusterRole the README ships for auditors: read-only, no Secrets, and enough for a
/// complete audit (the test server enforces exactly its rules).
#[test]
fn the_shipped_auditor_role_is_least_privilege_and_enough() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/rbac/kaudit-auditor.yaml");
    let inventory = kaudit::sources::from_manifests(&[path]);
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let role = &inventory.roles[0];
    let mut allows = Vec::new();
    for rule in &role.rules {
        let resources = rule.resources.clone().unwrap_or_default();
        for verb in &rule.verbs {
            for resource in &resources {
                if resource != "selfsubjectaccessreviews" {
                    assert!(
                        ["get", "list", "watch"].contains(&verb.as_str()),
                        "{verb} {resource}"
                    );
                }
                assert!(
                    !resource.contains('/') && resource != "secrets" && resource != "*",
                    "{resource}"
                );
                allows.push(Allow::new(verb, resource, None));
            }
        }
    }
    // Every resource kaudit reads is granted.
    for r in kaudit::sources::live::resources::RESOURCES {
        assert!(
            allows
                .iter()
                .any(|a| a.resource == r.plural && a.verb == "list"),
            "{} missing",
            r.plural
        );
        assert!(
            allows
                .iter()
                .any(|a| a.resource == r.plural && a.verb == "watch"),
            "{} watch missing",
            r.plural
        );
    }
    let server = server(Options {
        users: BTreeMap::from([("admin".into(), allows)]),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let config = kc.admin(&server);
    let out = kaudit(
        &[
            "scan",
            "--kubeconfig",
            config.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on-incomplete",
        ],
        &[],
    );
    let report = json_report(&out);
    assert_eq!(
        report["source"]["complete"], true,
        "{}",
        report["not_evaluated"]
    );
    assert!(!report["not_evaluated"].to_string().contains("403"));
}

/// Fatal read failures keep their kind, so the TUI and the command line can advise from it
/// rather than from the message's text.
#[test]
fn read_failures_keep_their_kind() {
    use kaudit::sources::ErrorKind;
    use kaudit::sources::live::{LiveOptions, read_cluster};
    let kc = Kubeconfig::new();
    let kind_of = |options: &LiveOptions| read_cluster(options).map(|_| ()).unwrap_err().kind();

    let expired = server_with(vec![Fault::status("/version", 401, usize::MAX)]);
    let options = LiveOptions {
        kubeconfig: Some(kc.admin(&expired)),
        ..Default::default()
    };
    assert_eq!(kind_of(&options), ErrorKind::Unauthorized);

    let hanging = server_with(vec![Fault::hang("/version", Duration::from_secs(30))]);
    let options = LiveOptions {
        kubeconfig: Some(kc.admin(&hanging)),
        request_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    assert_eq!(kind_of(&options), ErrorKind::Timeout);

    let options = LiveOptions {
        kubeconfig: Some(kc.admin(&expired)),
        context: Some("nope".into()),
        ..Default::default()
    };
    assert_eq!(kind_of(&options), ErrorKind::NoCluster);
    assert!(ErrorKind::NoCluster.advice().contains("kaudit demo"));
}

/// A list answered with something that is not a list (a `Status` with code 200), or paged
/// forever with the same continue token: what was not read is a gap with the reason, never
/// an empty list, and the read ends.
#[test]
fn answers_that_are_not_the_list_asked_for_are_gaps() {
    let lying = server_with(vec![
        Fault::answer(
            "/api/v1/pods",
            json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}),
        ),
        Fault::answer(
            "/apis/apps/v1/deployments",
            json!({"kind": "DeploymentList", "apiVersion": "apps/v1",
                   "metadata": {"continue": "again"}, "items": []}),
        ),
    ]);
    let kc = Kubeconfig::new();
    let started = std::time::Instant::now();
    let out = scan_json(&kc.admin(&lying), &["--fail-on-incomplete"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(3), "incomplete: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons: Vec<String> = report["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| format!("{}: {}", n["scope"], n["reason"]))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("pods") && r.contains("not a list (kind Status)")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("deployments.apps") && r.contains("same continue token")),
        "{reasons:?}"
    );
}

/// An item of a live list that cannot be typed is reported at that item (its resource,
/// namespace and name), and the rest of the list is audited.
#[test]
fn a_bad_item_is_reported_by_name() {
    let server = server(Options::default());
    server.add([json!({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": "broken", "namespace": "tools"},
                       "spec": {"containers": "not a list"}})]);
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&server)),
        ..Default::default()
    };
    let inventory = kaudit::sources::live::read_cluster(&options)
        .expect("read")
        .into_inventory();
    let errors: Vec<String> = inventory.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("cluster:admin/pods/tools/broken: "),
        "{errors:?}"
    );
    assert!(
        !inventory.workloads.is_empty(),
        "the other pods are audited"
    );
}

/// A server version string is shown as a version, not as whatever the server sends: a
/// hostile 1 MB `gitVersion` with escapes is cut and cleaned before it reaches a report.
#[test]
fn server_strings_are_cut_and_cleaned() {
    let server = server(Options {
        git_version: format!("v1.31.0\u{1b}]0;x\u{7}{}", "9".repeat(1 << 20)),
        ..Options::default()
    });
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&server)),
        ..Default::default()
    };
    let read = kaudit::sources::live::read_cluster(&options).expect("read");
    let version = read.server_version.expect("a version");
    assert!(version.starts_with("v1.31.0"), "{version}");
    assert!(
        version.len() < 80 && !version.contains('\u{1b}'),
        "{version:?}"
    );
}

/// A body that never ends is cut at a cap with a reason instead of growing without end
/// (it reached 7.7 GB within the time-out), and an exec credential plugin that never exits
/// ends in the request time-out instead of hanging kaudit.
#[test]
fn endless_answers_and_stuck_credential_plugins_are_cut_off() {
    let endless = server_with(vec![Fault::endless("/version")]);
    let kc = Kubeconfig::new();
    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kc.admin(&endless)),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let err = kaudit::sources::live::read_cluster(&options)
        .err()
        .expect("an endless /version is refused");
    assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));

    let plugin = kc.path("stuck.sh");
    std::fs::write(&plugin, "#!/bin/sh\nsleep 60\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = server(Options::default());
    let stuck = kc.write(
        "stuck",
        &server,
        json!({"certificate-authority": "ca.crt"}),
        &[("plugin", json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": plugin, "interactiveMode": "Never"}}))],
        "plugin",
    );
    let started = std::time::Instant::now();
    let out = scan_json(&stuck, &["--request-timeout", "2"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not finish within 2s"),
        "{}",
        stderr(&out)
    );
}

/// Audit logs without a cluster to read (no kubeconfig anywhere): the logs are analysed and
/// the report says the cluster part was not evaluated, instead of failing whole.
#[test]
fn audit_logs_without_a_kubeconfig_are_still_analysed() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit/mixed.log");
    let out = kaudit(
        &[
            "scan",
            "--format",
            "json",
            "--audit-log",
            log.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = report["source"]["notes"].to_string();
    assert!(notes.contains("no cluster was read"), "{notes}");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["area"] == "audit-log"),
        "the log's findings are there"
    );
    assert!(report["audit_log"]["events"].as_u64().unwrap() > 0);
}

/// trivy-operator's VulnerabilityReports are read from the cluster (an optional CRD, listed
/// only when discovery shows it) and judge the workloads running the images they name.
#[test]
fn operator_vulnerability_reports_are_read_from_the_cluster() {
    let server = server(Options::default());
    server.add([json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": "VulnerabilityReport",
        "metadata": {"name": "replicaset-web-5d4f-web", "namespace": "web",
            "labels": {"trivy-operator.container.name": "web"}},
        "report": {
            "artifact": {"repository": "web",
                "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
            "registry": {"server": "registry.example.com"},
            "scanner": {"name": "Trivy", "version": "0.60.0"},
            "os": {"family": "debian", "name": "10.13", "eosl": true},
            "vulnerabilities": [{"vulnerabilityID": "CVE-2099-4001", "resource": "openssl",
                "installedVersion": "1.1.1n-0+deb10u6", "fixedVersion": "1.1.1n-0+deb10u7",
                "severity": "CRITICAL", "title": "self-written"}]
        }
    })]);
    let kubeconfig = Kubeconfig::new();
    let out = scan_json(&kubeconfig.admin(&server), &[]);
    let report = json_report(&out);
    assert!(
        server.requests().iter().any(|r| r
            .path
            .contains("/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports")),
        "the reports were listed"
    );
    assert_eq!(
        report["vulnerabilities"]["source"],
        "the cluster's trivy-operator reports (1)",
        "{}",
        stderr(&out)
    );
    let ids = rule_ids(&report);
    assert!(ids.contains(&"VUL001 web".to_string()), "{ids:?}");
    assert!(ids.contains(&"VUL003 web".to_string()), "{ids:?}");
    assert!(
        !ids.iter().any(|i| i.starts_with("VUL001 debug")),
        "busybox has no report"
    );
}

/// Kyverno's policies count only where its webhook sends pods, and the webhook's
/// failurePolicy is read from the cluster: an enforcing policy behind `Ignore` fails open.
#[test]
fn admission_webhooks_are_read_from_the_cluster() {
    let server = server(Options::default());
    let key = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqpuCPF1bdP5NkzrZQbeiKxlDSTZl\nx2ImIPadAiCjALV3j3jM0OixKLJVzoz24jcShEg1B37voi4oCaxwNVhVaQ==\n-----END PUBLIC KEY-----\n";
    server.add([
        json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "signed"},
            "spec": {"validationFailureAction": "Enforce", "rules": [{"name": "verify",
                "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                "verifyImages": [{"imageReferences": ["*"],
                    "attestors": [{"entries": [{"keys": {"publicKeys": key}}]}]}]}]}}),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "kyverno-resource-mutating-webhook-cfg"},
            "webhooks": [{"name": "mutate.kyverno.svc-ignore", "failurePolicy": "Ignore",
                "namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                    "operator": "NotIn", "values": ["tools"]}]},
                "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]}]}),
    ]);
    let kubeconfig = Kubeconfig::new();
    let out = scan_json(&kubeconfig.admin(&server), &[]);
    let report = json_report(&out);
    assert!(
        server.requests().iter().any(|r| r
            .path
            .contains("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations")),
        "the webhook configurations were listed"
    );
    let ids = rule_ids(&report);
    // In `web` the policy enforces through a webhook that fails open.
    assert!(
        ids.contains(&"SIG005 web".to_string()),
        "{ids:?} {}",
        stderr(&out)
    );
    // The webhook skips `tools`: no policy covers the debug pod there.
    assert!(
        !ids.iter().any(|i| i.starts_with("SIG005 debug")),
        "{ids:?}"
    );
}
