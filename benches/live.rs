//! Live-cluster benchmark (issue target): from start to a complete inventory of a
//! 10,000-pod / 2,000-workload cluster served by the loopback test API server in pages of
//! 500, under 3 s and 300 MB RSS.
//!
//! Run with `cargo bench --bench live`. Prints the median of in-process reads (connect,
//! probe, list, type) and, for memory, the kaudit binary's own peak RSS for a full
//! `kaudit scan` and `kaudit snapshot` of the same cluster.

#[path = "../tests/common/apiserver.rs"]
mod apiserver;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use apiserver::{Options, TestApiServer};
use serde_json::{Value, json};
use std::io::BufRead;
use std::process::Command;
use std::time::{Duration, Instant};

const NAMESPACES: usize = 100;
const DEPLOYMENTS: usize = 2_000;
const PODS_PER_DEPLOYMENT: usize = 5;

fn pod_spec(i: usize) -> Value {
    json!({
        "serviceAccountName": "app",
        "containers": [{
            "name": "app",
            "image": format!("registry.acme.example/team-{}/app:1.{}", i % 17, i % 9),
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent"
        }],
        "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}}],
        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
    })
}

fn cluster() -> Vec<Value> {
    let mut objects = Vec::new();
    for n in 0..NAMESPACES {
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}"),
            "labels": {"pod-security.kubernetes.io/enforce": if n % 3 == 0 { "restricted" } else { "baseline" }}}}));
        objects.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": format!("ns-{n}")}}));
    }
    for d in 0..DEPLOYMENTS {
        let ns = format!("ns-{}", d % NAMESPACES);
        let name = format!("app-{d}");
        let labels = json!({"app": name});
        let template = json!({"metadata": {"labels": labels}, "spec": pod_spec(d)});
        objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"replicas": PODS_PER_DEPLOYMENT, "selector": {"matchLabels": labels}, "template": template}}));
        let rs = format!("{name}-7d9f8c");
        objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs, "namespace": ns, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": format!("d-{d}"), "controller": true}]},
            "spec": {"replicas": PODS_PER_DEPLOYMENT, "selector": {"matchLabels": labels}, "template": template}}));
        for p in 0..PODS_PER_DEPLOYMENT {
            let mut spec = pod_spec(d);
            spec["nodeName"] = json!(format!("node-{}", p % 20));
            objects.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{rs}-{p:05}"), "namespace": ns, "labels": labels,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": format!("rs-{d}"), "controller": true}]},
                "spec": spec,
                "status": {"phase": "Running", "podIP": "10.0.0.1", "hostIP": "192.168.0.1",
                    "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                        "image": format!("registry.acme.example/team-{}/app:1.{}", d % 17, d % 9),
                        "imageID": format!("registry.acme.example/team-{}/app@sha256:{:064x}", d % 17, d),
                        "containerID": format!("containerd://{:064x}", d * 10 + p),
                        "state": {"running": {"startedAt": "2026-11-20T10:00:00Z"}}}]}}));
        }
    }
    objects
}

/// The test server runs in a child process (this binary with `--serve`), so that the
/// memory figures below are kaudit's alone.
fn serve() {
    let server = TestApiServer::start(Options::default());
    let objects = cluster();
    let count = objects.len();
    server.add(objects);
    let dir = std::path::PathBuf::from(std::env::var_os("KAUDIT_BENCH_DIR").expect("dir"));
    std::fs::write(dir.join("ca.crt"), &server.ca_pem).expect("ca");
    let kubeconfig = dir.join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster: {{server: \"{}\", certificate-authority: ca.crt}}\n\
             users:\n- name: admin\n  user: {{token: admin-token}}\ncontexts:\n- name: bench\n  context: {{cluster: bench, user: admin}}\ncurrent-context: bench\n",
            server.url
        ),
    )
    .expect("kubeconfig");
    println!("{count}");
    // Serve until the parent closes our standard input.
    let mut sink = String::new();
    let _ = std::io::stdin().read_line(&mut sink);
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        return serve();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(std::env::current_exe().expect("exe"))
        .arg("--serve")
        .env("KAUDIT_BENCH_DIR", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the test server");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("server ready");
    let count: usize = line.trim().parse().expect("object count");
    let kubeconfig = dir.path().join("config");
    println!(
        "test API server (own process): {count} objects ({} pods, {DEPLOYMENTS} Deployments, {DEPLOYMENTS} ReplicaSets, {NAMESPACES} namespaces), pages of 500",
        DEPLOYMENTS * PODS_PER_DEPLOYMENT
    );

    let options = kaudit::sources::live::LiveOptions {
        kubeconfig: Some(kubeconfig.clone()),
        ..Default::default()
    };
    let mut samples = Vec::new();
    for run in 0..5 {
        let started = Instant::now();
        let read = kaudit::sources::live::read_cluster(&options).expect("read");
        let stats = read.stats.clone();
        let inventory = read.into_inventory();
        let took = started.elapsed();
        assert_eq!(inventory.workloads.len(), count - 2 * NAMESPACES);
        assert!(inventory.access_gaps.is_empty());
        if run == 0 {
            println!(
                "read: {} lists, {} pages, {} objects, {} workloads typed",
                stats.lists,
                stats.pages,
                stats.objects,
                inventory.workloads.len()
            );
        }
        samples.push(took);
    }
    let first = samples[0];
    samples.sort();
    println!(
        "start to complete inventory (in process): median {} ms, first {} ms (target < 3000 ms)",
        ms(samples[samples.len() / 2]),
        ms(first)
    );

    println!(
        "peak RSS of this process after the reads: {} MB (target < 300 MB)",
        peak_rss_kib() / 1024
    );

    let exe = env!("CARGO_BIN_EXE_kaudit");
    for (label, args) in [
        (
            "kaudit scan --format md (read + all checks + report)",
            vec!["scan", "--format", "md", "-o", "/dev/null"],
        ),
        (
            "kaudit snapshot",
            vec![
                "snapshot",
                "-o",
                dir.path().join("snap.json").to_str().expect("path"),
            ],
        ),
    ] {
        let started = Instant::now();
        let (status, rss) = run_measured(
            Command::new(exe)
                .args(&args)
                .arg("--kubeconfig")
                .arg(&kubeconfig),
        );
        assert!(status.success(), "{label} failed");
        println!(
            "{label}: {} ms, peak RSS {} MB (target < 300 MB)",
            ms(started.elapsed()),
            rss / 1024
        );
    }
    drop(server.stdin.take());
    let _ = server.wait();
}

/// VmHWM of this process, in KiB.
fn peak_rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(-1)
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Runs a child under `/usr/bin/time` and returns its exit status and peak RSS in KiB.
/// (wait4's own figure would include pages the child inherits from this process, which
/// holds the test server's objects, before it execs.)
fn run_measured(command: &mut Command) -> (std::process::ExitStatus, i64) {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg(command.get_program())
        .args(command.get_args());
    let output = timed
        .output()
        .expect("run /usr/bin/time (Debian package time)");
    let text = String::from_utf8_lossy(&output.stderr);
    let rss = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<i64>().ok())
        .unwrap_or(-1);
    (output.status, rss)
}
