//! The audit log reader on every input shape it accepts, on bad input, and on the upstream
//! sample logs in ../shared/corpus/audit when present.

use flate2::Compression;
use flate2::write::GzEncoder;
use kaudit::auditlog::reader::{self, MAX_LINE, Window};
use kaudit::time::parse_rfc3339;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

fn read(paths: &[PathBuf], window: Window) -> (Vec<(String, String, u64)>, reader::Stats) {
    let mut events = Vec::new();
    let stats = reader::read(paths, &window, None, |e, place| {
        let file = Path::new(place.file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        events.push((e.audit_id.to_string(), file, place.line));
    });
    (events, stats)
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn event(id: &str, time: &str) -> String {
    format!(
        "{{\"auditID\":\"{id}\",\"stage\":\"ResponseComplete\",\"verb\":\"get\",\"requestURI\":\"/api\",\"user\":{{\"username\":\"u\"}},\"requestReceivedTimestamp\":\"{time}\"}}\n"
    )
}

#[test]
fn json_lines_batches_legacy_events_and_bad_lines() {
    let (events, stats) = read(&[fixtures().join("mixed.log")], Window::default());
    let ids: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(ids, ["a1", "b1", "b2", "c1", "d1"]);
    assert_eq!(events[1].2, 5, "batch items keep the line of their batch");
    assert_eq!(stats.events, 5);
    assert_eq!(stats.not_events, 1, "a ConfigMap is JSON but not an event");
    assert_eq!(stats.malformed, 3, "{:?}", stats.problems);
    let places: Vec<(Option<u64>, &str)> = stats
        .problems
        .iter()
        .map(|p| (p.line, p.message.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        places,
        [
            (Some(3), "not JSON"),
            (Some(8), "not an audit event"),
            (Some(9), "not JSON")
        ]
    );
}

#[test]
fn whole_file_documents_json_and_yaml() {
    let (events, stats) = read(
        &[
            fixtures().join("batch-pretty.json"),
            fixtures().join("single-event.yaml"),
        ],
        Window::default(),
    );
    assert_eq!(
        events.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["p1", "y1"]
    );
    assert_eq!(stats.malformed, 0, "{:?}", stats.problems);
}

#[test]
fn rotated_sets_are_read_oldest_first_and_gzip_is_transparent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("audit.log"),
        event("active", "2026-01-03T00:00:00Z"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("audit-2026-01-02T00-00-00.000.log"),
        event("second", "2026-01-02T00:00:00Z"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("audit-2026-01-01T00-00-00.000.log.gz"),
        gzip(&event("first", "2026-01-01T00:00:00Z")),
    )
    .unwrap();
    let (events, stats) = read(&[dir.path().to_path_buf()], Window::default());
    assert_eq!(
        events.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["first", "second", "active"]
    );
    assert_eq!(stats.files, 3);
    // A glob selects within the folder.
    let (events, _) = read(&[dir.path().join("audit-*.log*")], Window::default());
    assert_eq!(events.len(), 2);
    let window = Window {
        since: parse_rfc3339("2026-01-02T00:00:00Z"),
        until: parse_rfc3339("2026-01-03T00:00:00Z"),
    };
    let (events, stats) = read(&[dir.path().to_path_buf()], window);
    assert_eq!(
        events.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["second"]
    );
    assert_eq!(stats.outside_window, 2);
}

#[test]
fn truncated_gzip_long_lines_and_invalid_utf8_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&event(&format!("e{i}"), "2026-01-01T00:00:00Z"));
    }
    let gz = gzip(&text);
    std::fs::write(dir.path().join("a-truncated.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let mut long = event("before", "2026-01-01T00:00:00Z").into_bytes();
    long.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    long.push(b'\n');
    long.extend(b"{\"auditID\":\"bad\xff\xfe\",\"verb\":\"get\"}\n");
    long.extend(event("after", "2026-01-01T00:00:00Z").into_bytes());
    std::fs::write(dir.path().join("b-long.log"), long).unwrap();
    std::fs::write(
        dir.path().join("c-binary.bin"),
        [0u8, 159, 146, 150, 0, 1, 2],
    )
    .unwrap();
    let (events, stats) = read(&[dir.path().to_path_buf()], Window::default());
    let truncated = events
        .iter()
        .filter(|e| e.1 == "a-truncated.log.gz")
        .count();
    assert!(
        truncated > 0 && truncated < 2000,
        "events before the cut are kept: {truncated}"
    );
    let ids: Vec<&str> = events
        .iter()
        .filter(|e| e.1 == "b-long.log")
        .map(|e| e.0.as_str())
        .collect();
    assert_eq!(ids, ["before", "after"]);
    let messages: Vec<String> = stats
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}:{:?}: {}",
                Path::new(&p.file).file_name().unwrap().to_string_lossy(),
                p.line,
                p.message
            )
        })
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("a-truncated.log.gz") && m.contains("truncated gzip")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("b-long.log:Some(2)") && m.contains("longer than 16 MiB")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("b-long.log:Some(3)")),
        "invalid UTF-8 is a malformed line: {messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("c-binary.bin")),
        "{messages:?}"
    );
}

#[test]
fn upstream_sample_logs_read_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/audit");
    if !corpus.exists() {
        eprintln!("SKIPPED: ../shared/corpus/audit not present; the own fixtures above still ran");
        return;
    }
    let (events, stats) = read(&[corpus], Window::default());
    // SOURCE.md is skipped as a whole; fal_01_003.json is Falco's garbage fixture ({"kind": 0}-like).
    let problems: Vec<String> = stats
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                Path::new(&p.file).file_name().unwrap().to_string_lossy(),
                p.message
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("SOURCE.md: not an audit log")
            || problems[1].starts_with("SOURCE.md: not an audit log"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("fal_01_003.json: not an audit event")),
        "{problems:?}"
    );
    assert!(events.len() > 100, "{}", events.len());
    for name in [
        "audit2rbac-demo.log",
        "audit-2017-09-11T20-29-04.000.log.gz",
        "eventlist-webhook-batch.json",
        "khi-oss-k8s-audit-event-v1.32.yaml",
        "exec_pod.json",
    ] {
        assert!(events.iter().any(|e| e.1 == name), "no events from {name}");
    }
}

/// Drill-down: the raw event of a finding, from a gzipped file and from a webhook batch.
#[test]
fn raw_events_are_found_again() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("audit.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    writeln!(
        enc,
        "{{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\"}}"
    )
    .unwrap();
    writeln!(enc, "{{\"kind\":\"EventList\",\"items\":[{{\"auditID\":\"b\",\"verb\":\"list\"}},{{\"auditID\":\"c\",\"verb\":\"delete\"}}]}}").unwrap();
    enc.finish().unwrap();
    let file = gz.to_str().unwrap();
    let lines = kaudit::auditlog::reader::raw_event(file, 1, "a").unwrap();
    assert!(
        lines.iter().any(|l| l.contains("\"verb\": \"get\"")),
        "{lines:?}"
    );
    let lines = kaudit::auditlog::reader::raw_event(file, 2, "c").unwrap();
    assert!(
        lines.iter().any(|l| l.contains("\"verb\": \"delete\"")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("\"list\"")),
        "only the batch's matching event"
    );
    let err = kaudit::auditlog::reader::raw_event(file, 9, "z").unwrap_err();
    assert!(err.contains("has only 2 lines"), "{err}");
}

/// `--follow`: new lines are read as they are written, a half-written line waits for its
/// end, and rotation (rename, then a new file) loses nothing.
#[test]
fn following_a_log_survives_rotation() {
    use kaudit::auditlog::follow::Follower;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("audit.log");
    let event = |id: &str, verb: &str, sub: &str| {
        format!(
            "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"{id}\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/shop/pods/web/{sub}?command=sh\",\"verb\":\"{verb}\",\"user\":{{\"username\":\"mallory\"}},\"objectRef\":{{\"resource\":\"pods\",\"namespace\":\"shop\",\"name\":\"web\",\"subresource\":\"{sub}\"}},\"responseStatus\":{{\"code\":101}},\"requestReceivedTimestamp\":\"2026-11-20T09:00:00Z\"}}\n"
        )
    };
    std::fs::write(&active, event("1", "list", "") + &event("2", "list", "")).unwrap();
    let rotated_earlier = dir.path().join("audit-2026-11-20T08-00-00.000.log");
    std::fs::write(&rotated_earlier, event("0", "list", "")).unwrap();
    // Not a log: read once (and reported), never tailed.
    std::fs::write(
        dir.path().join("README.md"),
        "# audit logs of prod\nrotated daily\n",
    )
    .unwrap();
    let mut f = Follower::start(
        &[dir.path().to_path_buf()],
        &Default::default(),
        Default::default(),
    );
    assert_eq!(
        f.followed(),
        vec![active.as_path()],
        "the active file is followed, backups read once"
    );
    assert_eq!(f.snapshot().stats.events, 3);
    assert!(!f.poll(), "nothing new");

    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .open(&active)
        .unwrap();
    let exec = event("3", "create", "exec");
    let (head, tail) = exec.split_at(40);
    out.write_all(head.as_bytes()).unwrap();
    assert!(!f.poll(), "half a line is not an event yet");
    out.write_all(tail.as_bytes()).unwrap();
    assert!(f.poll());
    let kaudit::auditlog::Analysis {
        findings: rec,
        stats,
    } = f.snapshot();
    assert_eq!(stats.events, 4);
    assert!(
        rec.findings.iter().any(|x| x.rule_id == "AUD001"),
        "detections run on followed lines"
    );

    // Rotation: the server writes a last line, renames the file, starts a new one.
    out.write_all(event("4", "list", "").as_bytes()).unwrap();
    std::fs::rename(
        &active,
        dir.path().join("audit-2026-11-20T09-05-00.000.log"),
    )
    .unwrap();
    std::fs::write(&active, event("5", "get", "exec")).unwrap();
    assert!(f.poll());
    let kaudit::auditlog::Analysis {
        findings: rec,
        stats,
    } = f.snapshot();
    assert_eq!(
        stats.events, 6,
        "the old file's last line and the new file's"
    );
    assert_eq!(
        rec.findings
            .iter()
            .filter(|x| x.rule_id == "AUD001")
            .count(),
        2
    );

    // copytruncate rotation: the file is emptied in place and written again.
    std::fs::write(&active, "").unwrap();
    assert!(!f.poll());
    std::fs::write(&active, event("6", "list", "")).unwrap();
    assert!(f.poll());
    assert_eq!(f.snapshot().stats.events, 7);
}

/// `kaudit audit-log --format json FILE` parsing on `threads` threads: its report.
fn json_report(path: &Path, threads: &str) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(["audit-log", "--format", "json"])
        .arg(path)
        .env("KAUDIT_THREADS", threads)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Big logs are parsed on every core: the result is the same as on one, line numbers and
/// problems included, and a line over the limit is skipped without being held in memory.
#[test]
fn parallel_parsing_gives_the_same_answer() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..40_000u32 {
        let (sub, user) = if i % 997 == 0 {
            ("exec", "mallory")
        } else {
            ("", "system:node:w1")
        };
        writeln!(out, "{{\"kind\":\"Event\",\"auditID\":\"id-{i}\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/shop/pods/p{i}/{sub}?command=id\",\"verb\":\"get\",\"user\":{{\"username\":\"{user}\"}},\"objectRef\":{{\"resource\":\"pods\",\"namespace\":\"shop\",\"name\":\"p{i}\",\"subresource\":\"{sub}\"}},\"responseStatus\":{{\"code\":200}},\"requestReceivedTimestamp\":\"2026-11-20T09:{:02}:{:02}Z\",\"padding\":\"{}\"}}", i / 60 % 60, i % 60, "x".repeat(200)).unwrap();
        if i == 20_000 {
            writeln!(out, "not json at all").unwrap();
            writeln!(out).unwrap();
            // Longer than the 16 MiB line limit.
            out.write_all(&vec![b'{'; 17 << 20]).unwrap();
            writeln!(out).unwrap();
            // Longer than a parsing chunk, within the limit: an event like any other.
            writeln!(out, "{{\"kind\":\"Event\",\"auditID\":\"big\",\"stage\":\"ResponseComplete\",\"verb\":\"get\",\"requestURI\":\"/api/v1/nodes\",\"user\":{{\"username\":\"system:node:w1\"}},\"padding\":\"{}\"}}", "y".repeat(6 << 20)).unwrap();
        }
    }
    out.flush().unwrap();
    let (one, many) = (json_report(&path, "1"), json_report(&path, "4"));
    let stats = |r: &serde_json::Value| {
        let s = &r["audit_log"];
        (
            s["events"].clone(),
            s["lines"].clone(),
            s["malformed"].clone(),
            s["bytes"].clone(),
            s["problems"].clone(),
        )
    };
    assert_eq!(stats(&one), stats(&many));
    assert_eq!(one["audit_log"]["events"], 40_001);
    assert_eq!(
        one["audit_log"]["malformed"], 2,
        "{}",
        one["audit_log"]["problems"]
    );
    let problems = one["audit_log"]["problems"].to_string();
    assert!(
        problems.contains("\"line\":20004") && problems.contains("longer than 16 MiB"),
        "{problems}"
    );
    let ids = |r: &serde_json::Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"], f["location"]))
            .collect()
    };
    assert_eq!(ids(&one), ids(&many), "same findings at the same lines");
    assert_eq!(ids(&one).len(), 41);
}

/// A big gzipped log cut short: parsed on every core, the events before the cut are all
/// read and the failure is reported at the same line as on one thread.
#[test]
fn truncated_big_gzip_loses_nothing_in_parallel() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log.gz");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    // Padding gzip cannot squeeze much, so the file is big enough to be read in parallel.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..80_000u32 {
        let padding: String = (0..40)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{:08x}", x as u32)
            })
            .collect();
        writeln!(gz, "{{\"kind\":\"Event\",\"auditID\":\"id-{i}\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/shop/pods/p{i}\",\"verb\":\"get\",\"user\":{{\"username\":\"system:node:w1\"}},\"objectRef\":{{\"resource\":\"pods\",\"namespace\":\"shop\",\"name\":\"p{i}\"}},\"requestReceivedTimestamp\":\"2026-11-20T09:{:02}:{:02}Z\",\"padding\":\"{padding}\"}}", i / 60 % 60, i % 60).unwrap();
    }
    let bytes = gz.finish().unwrap();
    // The cut file (7/10 of it) must still be big enough to be read in parallel.
    assert!(
        bytes.len() * 7 / 10 > 9 << 20,
        "{} bytes: too small to be read in parallel",
        bytes.len()
    );
    std::fs::write(&path, &bytes[..bytes.len() * 7 / 10]).unwrap();
    let one = json_report(&path, "1")["audit_log"].clone();
    let many = json_report(&path, "4")["audit_log"].clone();
    for field in ["events", "lines", "bytes", "malformed", "problems"] {
        assert_eq!(one[field], many[field], "{field}");
    }
    let events = one["events"].as_u64().unwrap();
    assert!(events > 40_000 && events < 80_000, "{events}");
    let problems = one["problems"].to_string();
    assert!(
        problems.contains("truncated gzip")
            && problems.contains(&format!("\"line\":{}", events + 1)),
        "{problems}"
    );
}

/// A panic while the rules run over a big log (read on several threads) ends the read with
/// that panic; the reading and parsing threads do not keep the process waiting.
#[test]
fn a_panic_in_the_rules_does_not_hang_a_parallel_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let line = format!(
        "{{\"kind\":\"Event\",\"auditID\":\"a\",\"verb\":\"get\",\"requestURI\":\"/api\",\"padding\":\"{}\"}}\n",
        "x".repeat(400)
    );
    std::fs::write(&path, line.repeat(30_000)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| {
            let mut seen = 0;
            reader::read(&[path], &Window::default(), None, |_, _| {
                seen += 1;
                assert!(seen < 1_000, "a rule failed");
            })
        });
        let _ = tx.send(outcome.is_err());
    });
    let panicked = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the read hung after a panic in the rules");
    assert!(panicked, "the panic was not passed on");
}

/// The raw-event view never shows a Secret's values, whatever level the policy logged the
/// write at.
#[test]
fn raw_events_of_secret_writes_are_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.log");
    std::fs::write(
        &file,
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"s1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets","verb":"create","user":{"username":"jane"},"objectRef":{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"},"responseStatus":{"code":201},"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"aHVudGVyMg=="},"stringData":{"token":"plain-token"}},"responseObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"aHVudGVyMg=="}},"requestReceivedTimestamp":"2026-11-20T09:00:00.000000Z","stageTimestamp":"2026-11-20T09:00:00.010000Z"}"#,
    )
    .unwrap();
    let lines = kaudit::auditlog::reader::raw_event(file.to_str().unwrap(), 1, "s1").unwrap();
    let text = lines.join("\n");
    assert!(
        !text.contains("aHVudGVyMg==") && !text.contains("plain-token"),
        "{text}"
    );
    assert!(text.contains("(redacted: 12 bytes)"), "{text}");
    assert!(
        text.contains("\"name\": \"db\""),
        "the rest of the event is shown: {text}"
    );
}

/// A log whose first line was cut short (`{`, or an event cut mid-way, as a truncated copy
/// leaves it) is read line by line: one malformed line, every event after it. It was taken
/// for the start of one pretty-printed document, and the whole log was lost.
#[test]
fn a_cut_first_line_loses_one_line_not_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let events: String = (0..40)
        .map(|i| event(&format!("e{i}"), "2026-01-02T10:00:00Z"))
        .collect();
    let cut_event = &event("cut", "2026-01-02T10:00:00Z")[..60];
    for (name, first) in [
        ("brace.log", "{\n".to_string()),
        ("cut.log", format!("{cut_event}\n\n")),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("{first}{events}")).unwrap();
        let (read, stats) = read(&[file], Window::default());
        assert_eq!(read.len(), 40, "{name}");
        assert_eq!(
            read[0].2,
            if name == "brace.log" { 2 } else { 3 },
            "{name}: lines keep their numbers"
        );
        assert_eq!(stats.malformed, 1, "{name}: {:?}", stats.problems);
        assert_eq!(stats.problems[0].line, Some(1), "{name}");
    }
    // A pretty-printed document is still read as one.
    let (read, _) = read(&[fixtures().join("batch-pretty.json")], Window::default());
    assert!(!read.is_empty());
}

/// `--follow` through a copy-and-truncate (logrotate's `copytruncate`) followed by more bytes
/// than were read before the next poll: the file keeps its inode and grows past the old read
/// position, yet every new event is read, from the file's start.
#[test]
fn following_through_copy_and_truncate() {
    use kaudit::auditlog::follow::Follower;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("audit.log");
    std::fs::write(&active, event("a", "2026-01-02T10:00:00Z")).unwrap();
    let mut f = Follower::start(
        std::slice::from_ref(&active),
        &Default::default(),
        Default::default(),
    );
    assert!(!f.poll());
    assert_eq!(f.snapshot().stats.events, 1);
    // Copied away and truncated in place, then three events written before the next poll.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&active)
        .unwrap();
    file.set_len(0).unwrap();
    drop(file);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&active)
        .unwrap();
    for id in ["b", "c", "d"] {
        file.write_all(event(id, "2026-01-02T10:05:00Z").as_bytes())
            .unwrap();
    }
    drop(file);
    assert!(f.poll());
    let analysis = f.snapshot();
    assert_eq!(analysis.stats.events, 4, "{:?}", analysis.stats.problems);
    assert_eq!(analysis.stats.malformed, 0, "{:?}", analysis.stats.problems);
}
