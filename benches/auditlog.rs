//! Audit-log benchmark (issue targets): three generated 1,000,000-event logs, each parsed
//! and run through every detection: today's mix (controllers and kubelets reading, leases,
//! pod and event writes with bodies, people using kubectl, a few attacks), a write-heavy one
//! (20% creates and updates of pods, deployments, roles and bindings with request and
//! response bodies) and a control-plane one (leases, endpoints and events updated with
//! bodies). Targets on each: at least 10x `jq -c 'select(.objectRef.subresource=="exec")'`
//! over the same file with the default threads, 400 MB/s on one thread, under 200 MB RSS.
//!
//! Run with `cargo bench --bench auditlog` (KAUDIT_BENCH_EVENTS overrides the count). The
//! log is written to the temp folder once and reused while its size matches.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/audit_mixes.rs"]
mod mixes;
use mixes::{Mix, control_plane, write};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A small deterministic generator (xorshift), so every run writes the same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMESPACES: &[&str] = &[
    "shop",
    "payments",
    "monitoring",
    "ci",
    "data",
    "kube-system",
    "ingress",
];

fn pod_body(ns: &str, name: &str, i: u64) -> String {
    format!(
        r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"{name}","namespace":"{ns}","labels":{{"app":"web","pod-template-hash":"{i:x}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-{i:x}","uid":"{i:032x}","controller":true}}]}},"spec":{{"containers":[{{"name":"web","image":"registry.acme.example/shop/web:1.{m}","ports":[{{"containerPort":8080,"protocol":"TCP"}}],"resources":{{"requests":{{"cpu":"100m","memory":"128Mi"}},"limits":{{"memory":"256Mi"}}}},"securityContext":{{"allowPrivilegeEscalation":false,"runAsNonRoot":true,"capabilities":{{"drop":["ALL"]}}}},"volumeMounts":[{{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}}]}}],"serviceAccountName":"web","volumes":[{{"name":"kube-api-access","projected":{{"sources":[{{"serviceAccountToken":{{"expirationSeconds":3607,"path":"token"}}}}]}}}}],"securityContext":{{"seccompProfile":{{"type":"RuntimeDefault"}}}}}}}}"#,
        m = i % 9
    )
}

fn time(i: u64) -> String {
    // 1,000,000 events over about a day.
    let ms = i * 86;
    let s = ms / 1000;
    format!(
        "2026-11-20T{:02}:{:02}:{:02}.{:06}Z",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        (ms % 1000) * 1000
    )
}

/// One event of `mix`, as a line.
fn event(mix: Mix, rng: &mut Rng, i: u64) -> String {
    match mix {
        Mix::Today => {
            let roll = rng.below(10_000);
            today(rng, i, roll)
        }
        Mix::WriteHeavy if rng.below(10) < 2 => write(rng, i),
        Mix::WriteHeavy => {
            let roll = rng.below(4_000);
            today(rng, i, roll)
        }
        Mix::ControlPlane => control_plane(rng, i),
    }
}

/// One event of today's mix, as a line; `roll` (below 10,000) picks its kind.
fn today(rng: &mut Rng, i: u64, roll: u64) -> String {
    let ns = NAMESPACES[rng.below(NAMESPACES.len() as u64) as usize];
    let t = time(i);
    let id = mixes::audit_id(rng, i);
    let node = rng.below(40);
    // Today's call sites name each field; the event is written as the other mixes write it.
    let common = |level: &str,
                  stage: &str,
                  uri: &str,
                  verb: &str,
                  user: &str,
                  groups: &str,
                  ip: &str,
                  ua: &str,
                  object_ref: &str,
                  code: u16| {
        mixes::common(
            &id,
            &t,
            (level, stage),
            uri,
            verb,
            (user, groups),
            (ip, ua),
            object_ref,
            code,
        )
    };
    let mut line = match roll {
        // Kubelets and controllers reading: the bulk of any audit log.
        0..=3999 => {
            let (resource, verb) = [
                ("pods", "get"),
                ("configmaps", "watch"),
                ("services", "list"),
                ("endpoints", "watch"),
                ("nodes", "get"),
            ][rng.below(5) as usize];
            common(
                "Metadata",
                "ResponseComplete",
                &format!(
                    "/api/v1/namespaces/{ns}/{resource}?resourceVersion=0&timeout=8m{}s",
                    rng.below(60)
                ),
                verb,
                &format!("system:node:worker-{node}"),
                r#""system:nodes","system:authenticated""#,
                &format!("10.20.1.{node}"),
                "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46",
                &format!(r#"{{"resource":"{resource}","namespace":"{ns}","apiVersion":"v1"}}"#),
                200,
            ) + "}"
        }
        // Leader-election leases.
        4000..=5999 => {
            let who = [
                "kube-scheduler",
                "kube-controller-manager",
                "cert-manager",
                "ingress-nginx",
            ][rng.below(4) as usize];
            common(
                "Metadata",
                "ResponseComplete",
                &format!("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{who}"),
                "update",
                &format!("system:{who}"),
                r#""system:authenticated""#,
                "10.20.0.15",
                &format!("{who}/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election"),
                &format!(
                    r#"{{"resource":"leases","namespace":"kube-system","name":"{who}","apiGroup":"coordination.k8s.io","apiVersion":"v1"}}"#
                ),
                200,
            ) + "}"
        }
        // Pods created and updated by controllers and kubelets, with their bodies.
        6000..=7499 => {
            let name = format!("web-{:x}-{}", i, rng.below(100_000));
            let (verb, user, code) = if roll.is_multiple_of(2) {
                (
                    "create",
                    "system:serviceaccount:kube-system:replicaset-controller",
                    201,
                )
            } else {
                ("patch", "system:node:worker-3", 200)
            };
            let body = pod_body(ns, &name, i);
            common(
                "RequestResponse",
                "ResponseComplete",
                &format!(
                    "/api/v1/namespaces/{ns}/pods{}",
                    if verb == "create" {
                        String::new()
                    } else {
                        format!("/{name}/status")
                    }
                ),
                verb,
                user,
                r#""system:serviceaccounts","system:authenticated""#,
                "10.20.0.15",
                "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller",
                &format!(
                    r#"{{"resource":"pods","namespace":"{ns}","name":"{name}","apiVersion":"v1"{}}}"#,
                    if verb == "patch" {
                        r#","subresource":"status""#
                    } else {
                        ""
                    }
                ),
                code,
            ) + &format!(r#","requestObject":{body},"responseObject":{body}}}"#)
        }
        // Events written by everyone.
        7500..=8999 => {
            common(
                "Request",
                "ResponseComplete",
                &format!("/api/v1/namespaces/{ns}/events"),
                "create",
                &format!("system:node:worker-{node}"),
                r#""system:nodes","system:authenticated""#,
                &format!("10.20.1.{node}"),
                "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46",
                &format!(r#"{{"resource":"events","namespace":"{ns}","apiVersion":"v1"}}"#),
                201,
            ) + &format!(
                r#","requestObject":{{"kind":"Event","apiVersion":"v1","metadata":{{"name":"web.{i:x}","namespace":"{ns}"}},"involvedObject":{{"kind":"Pod","namespace":"{ns}","name":"web-{i:x}"}},"reason":"Pulled","message":"Container image \"registry.acme.example/shop/web:1.4\" already present on machine","source":{{"component":"kubelet","host":"worker-{node}"}},"type":"Normal"}}}}"#
            )
        }
        // Controllers reading secrets.
        9000..=9699 => {
            common(
                "Metadata",
                "ResponseComplete",
                &format!("/api/v1/namespaces/{ns}/secrets/tls-{}", rng.below(20)),
                "get",
                "system:serviceaccount:kube-system:generic-garbage-collector",
                r#""system:serviceaccounts","system:authenticated""#,
                "10.20.0.15",
                "kube-controller-manager/v1.31.2",
                &format!(
                    r#"{{"resource":"secrets","namespace":"{ns}","name":"tls-{}","apiVersion":"v1"}}"#,
                    rng.below(20)
                ),
                200,
            ) + "}"
        }
        // People with kubectl, and some of them denied.
        9700..=9989 => {
            let denied = roll.is_multiple_of(7);
            common(
                "Metadata",
                "ResponseComplete",
                &format!("/api/v1/namespaces/{ns}/pods?limit=500"),
                "list",
                "jane@acme.example",
                r#""acme:developers","system:authenticated""#,
                "192.0.2.10",
                "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
                &format!(r#"{{"resource":"pods","namespace":"{ns}","apiVersion":"v1"}}"#),
                if denied { 403 } else { 200 },
            ) + "}"
        }
        // The rare attack: exec, secret reads by a person, a cluster-admin binding.
        _ => match roll % 3 {
            0 => {
                common(
                    "Metadata",
                    "ResponseStarted",
                    &format!(
                        "/api/v1/namespaces/{ns}/pods/web-1/exec?command=sh&command=-c&command=cat%20%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&container=web&stdin=true&stdout=true&tty=true"
                    ),
                    "get",
                    "dev@acme.example",
                    r#""system:authenticated""#,
                    "198.51.100.7",
                    "kubectl/v1.31.2",
                    &format!(
                        r#"{{"resource":"pods","namespace":"{ns}","name":"web-1","apiVersion":"v1","subresource":"exec"}}"#
                    ),
                    101,
                ) + "}"
            }
            1 => {
                common(
                    "Metadata",
                    "ResponseComplete",
                    "/api/v1/secrets?limit=500",
                    "list",
                    "dev@acme.example",
                    r#""system:authenticated""#,
                    "198.51.100.7",
                    "kubectl/v1.31.2",
                    r#"{"resource":"secrets","apiVersion":"v1"}"#,
                    200,
                ) + "}"
            }
            _ => {
                common(
                    "RequestResponse",
                    "ResponseComplete",
                    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                    "create",
                    "dev@acme.example",
                    r#""system:authenticated""#,
                    "198.51.100.7",
                    "kubectl/v1.31.2",
                    &format!(
                        r#"{{"resource":"clusterrolebindings","name":"debug-{i}","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}}"#
                    ),
                    201,
                ) + &format!(
                    r#","requestObject":{{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{{"name":"debug-{i}"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"}},"subjects":[{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"dev@acme.example"}}]}}}}"#
                )
            }
        },
    };
    line.push('\n');
    line
}

fn generate(mix: Mix, path: &Path, events: u64) -> u64 {
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create log"));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut bytes = 0;
    for i in 0..events {
        let line = event(mix, &mut rng, i);
        bytes += line.len() as u64;
        out.write_all(line.as_bytes()).expect("write log");
    }
    out.flush().expect("flush log");
    bytes
}

fn main() {
    let events: u64 = std::env::var("KAUDIT_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join("kaudit-bench-auditlog");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let mut summary = Vec::new();
    for mix in [Mix::Today, Mix::WriteHeavy, Mix::ControlPlane] {
        let log: PathBuf = dir.join(format!("audit-{}-{events}.log", mix.file()));
        summary.push(measure_mix(mix, &log, events));
        if let Mix::Today = mix {
            compare_parsers(&log);
        }
    }
    println!("\nmix            MB     1 thread MB/s  all cores MB/s  jq x (cores)  peak RSS MB");
    for line in summary {
        println!("{line}");
    }
}

/// Generates (once) and measures one mix: in process on one thread and on every core, the
/// binary for memory, and jq on the same file. Returns its summary line.
fn measure_mix(mix: Mix, log: &Path, events: u64) -> String {
    let started = Instant::now();
    let bytes = match std::fs::metadata(log) {
        Ok(m) if m.len() > 0 => m.len(),
        _ => generate(mix, log, events),
    };
    let mb = bytes as f64 / 1e6;
    println!(
        "\n{}: {events} events, {mb:.0} MB at {} (ready in {:.1} s)",
        mix.name(),
        log.display(),
        started.elapsed().as_secs_f64()
    );
    // In process: read, parse, every detection, the timeline.
    let measure = |threads: usize| -> Duration {
        let mut samples = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let kaudit::auditlog::Analysis { stats, .. } = kaudit::auditlog::analyze_on(
                &[log.to_path_buf()],
                &Default::default(),
                Default::default(),
                Some(threads),
            );
            samples.push(started.elapsed());
            assert_eq!(stats.events, events, "every event read");
        }
        samples.sort();
        samples[1]
    };
    let one = measure(1);
    println!(
        "kaudit analyze (parse + all detections + timeline), one thread: median {:.2} s, {:.0} MB/s (target >= 400 MB/s)",
        one.as_secs_f64(),
        mb / one.as_secs_f64()
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let median = measure(cores);
    println!(
        "kaudit analyze, parsing on {cores} cores: median {:.2} s, {:.0} MB/s",
        median.as_secs_f64(),
        mb / median.as_secs_f64()
    );
    // The binary, for memory: JSON report to /dev/null.
    let (took, rss) = timed(
        Command::new(env!("CARGO_BIN_EXE_kaudit"))
            .args(["audit-log", "--format", "json", "-o", "/dev/null"])
            .arg(log),
    );
    println!(
        "kaudit audit-log --format json: {:.2} s, peak RSS {} MB (target < 200 MB)",
        took.as_secs_f64(),
        rss / 1024
    );
    // jq, the tool people reach for: one filter, no detections.
    let jq_ratio = if Command::new("jq").arg("--version").output().is_ok() {
        let (jq, _) = timed(Command::new("sh").arg("-c").arg(format!(
            "jq -c 'select(.objectRef.subresource==\"exec\")' {} > /dev/null",
            log.display()
        )));
        println!(
            "jq -c 'select(.objectRef.subresource==\"exec\")': {:.2} s; kaudit is {:.1}x faster on {cores} cores (target >= 10x), {:.1}x end to end (binary, JSON report), {:.1}x held to one thread",
            jq.as_secs_f64(),
            jq.as_secs_f64() / median.as_secs_f64(),
            jq.as_secs_f64() / took.as_secs_f64(),
            jq.as_secs_f64() / one.as_secs_f64()
        );
        format!("{:.1}", jq.as_secs_f64() / median.as_secs_f64())
    } else {
        println!("jq not installed: comparison skipped");
        "-".to_string()
    };
    format!(
        "{:<14} {mb:<6.0} {:<14.0} {:<15.0} {jq_ratio:<13} {}",
        mix.name(),
        mb / one.as_secs_f64(),
        mb / median.as_secs_f64(),
        rss / 1024
    )
}

/// Wall time and peak RSS (KiB) of a command, through /usr/bin/time.
fn timed(command: &mut Command) -> (Duration, i64) {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg(command.get_program())
        .args(command.get_args())
        .stdout(std::process::Stdio::null());
    let started = Instant::now();
    let out = timed
        .output()
        .expect("run /usr/bin/time (Debian package time)");
    let took = started.elapsed();
    let rss = String::from_utf8_lossy(&out.stderr)
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or(-1);
    (took, rss)
}

/// Parsing alone, one thread, the same lines: kaudit's parser (hand-written, serde_json where
/// it declines) against sonic-rs and serde_json with serde derive into the same event type.
/// The hand-written parser stays only while it is clearly ahead.
fn compare_parsers(log: &Path) {
    let text = std::fs::read(log).expect("read the log");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let bytes = text.len() as f64;
    let run = |name: &str, parse: &dyn Fn(&[u8]) -> bool| {
        let mut samples = Vec::new();
        let mut parsed = 0;
        for _ in 0..3 {
            let started = Instant::now();
            parsed = lines.iter().filter(|l| parse(l)).count();
            samples.push(started.elapsed());
        }
        samples.sort();
        let took = samples[1];
        println!(
            "parse only, {name}: median {:.2} s, {:.0} MB/s, {parsed} of {} lines parsed",
            took.as_secs_f64(),
            bytes / 1e6 / took.as_secs_f64(),
            lines.len()
        );
        took
    };
    type Event = kaudit::auditlog::event::AuditEvent;
    let ours = run("kaudit (hand-written)", &|l| {
        std::hint::black_box(kaudit::auditlog::parse_event(l)).is_some()
    });
    let sonic = run("sonic-rs (serde derive)", &|l| {
        std::hint::black_box(sonic_rs::from_slice::<SonicEvent>(l)).is_ok()
    });
    let serde = run("serde_json (serde derive)", &|l| {
        std::hint::black_box(serde_json::from_slice::<Event>(l)).is_ok()
    });
    println!(
        "kaudit's parser is {:.1}x sonic-rs and {:.1}x serde_json on these lines",
        sonic.as_secs_f64() / ours.as_secs_f64(),
        serde.as_secs_f64() / ours.as_secs_f64()
    );
}

/// kaudit's event type for sonic-rs: the same fields and nested types, with the request body
/// kept raw in sonic-rs's own raw type (it cannot fill serde_json's `RawValue`, which
/// kaudit's event uses).
#[allow(dead_code)]
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SonicEvent {
    #[serde(default)]
    kind: Option<Text>,
    #[serde(default)]
    api_version: Option<Text>,
    #[serde(default, rename = "auditID")]
    audit_id: Text,
    #[serde(default)]
    stage: Text,
    #[serde(default)]
    level: Text,
    #[serde(default, rename = "requestURI")]
    request_uri: Text,
    #[serde(default)]
    verb: Text,
    #[serde(default)]
    user: event::UserInfo,
    #[serde(default)]
    impersonated_user: Option<event::UserInfo>,
    #[serde(default, rename = "sourceIPs")]
    source_ips: Vec<Text>,
    #[serde(default)]
    object_ref: Option<event::ObjectRef>,
    #[serde(default)]
    response_status: Option<event::Status>,
    #[serde(default)]
    request_object: Option<sonic_rs::OwnedLazyValue>,
    #[serde(default)]
    request_received_timestamp: Option<Text>,
    #[serde(default)]
    stage_timestamp: Option<Text>,
    #[serde(default)]
    timestamp: Option<Text>,
    #[serde(default)]
    metadata: Option<event::LegacyMeta>,
    #[serde(default)]
    annotations: event::Annotations,
}

use kaudit::auditlog::event::{self, Text};
