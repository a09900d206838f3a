//! The fast parser held to serde_json on every cut and flip of real events.
use super::*;

/// serde_json's reading, with the bodies no detection reads noted but not kept, as
/// the fast path does.
fn serde(line: &str) -> Option<AuditEvent> {
    let mut e = serde_json::from_str::<AuditEvent>(line)
        .ok()
        .filter(|e| e.kind.as_deref() != Some("EventList"))?;
    if e.request_object.is_some() && !crate::auditlog::detect::reads_body(&e) {
        e.request_object = Some(RawJson::not_kept());
    }
    Some(e)
}

/// The fast path either declines or agrees with serde_json.
fn agrees(line: &str) -> bool {
    match event(line.as_bytes()) {
        None => true,
        Some(fast) => serde(line).is_some_and(|slow| slow == fast),
    }
}

const FULL: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods?limit=500\u0026watch=1","verb":"create","user":{"username":"jane","uid":"1","groups":["dev","system:authenticated"],"extra":{"k":["v"]}},"impersonatedUser":{"username":"bob"},"sourceIPs":["10.0.0.1","::1"],"userAgent":"kubectl/v1.31 \"x\"","objectRef":{"resource":"pods","namespace":"shop","name":"web","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"status":"Failure","code":403},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]},"n":[1,-2.5e3,true,false,null]},"responseObject":{"a":"é"},"requestReceivedTimestamp":"2024-01-01T00:00:00.000000Z","stageTimestamp":"2024-01-01T00:00:01.000000Z","annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":"no","pod-security.kubernetes.io/audit-violations":"privileged"}}"#;

#[test]
fn reads_a_full_event_like_serde() {
    let fast = event(FULL.as_bytes()).expect("the fast path takes a plain event");
    assert_eq!(Some(&fast), serde(FULL).as_ref());
    assert_eq!(
        fast.request_uri,
        "/api/v1/namespaces/shop/pods?limit=500&watch=1"
    );
    assert_eq!(fast.code(), Some(403));
    assert_eq!(fast.user.groups.len(), 2);
    // An exec request's body is read by no detection: noted, not kept.
    assert!(fast.request_object.is_some() && fast.body().is_none());
    let create = FULL.replace(r#","subresource":"exec""#, "");
    let created = event(create.as_bytes()).expect("a pod create");
    assert!(
        created
            .body()
            .is_some_and(|b| b.get("kind").and_then(|k| k.as_str()) == Some("Pod"))
    );
    assert_eq!(
        fast.annotations
            .get("pod-security.kubernetes.io/audit-violations")
            .map(Text::as_str),
        Some("privileged")
    );
}

#[test]
fn eight_byte_test_matches_the_table() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..200_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Plant a byte of interest now and then.
        let mut bytes = x.to_le_bytes();
        if round % 3 == 0 {
            bytes[(x % 8) as usize] = [b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80][(x % 6) as usize];
        }
        let word = u64::from_le_bytes(bytes);
        let first = bytes.iter().position(|b| STRING_STOP[*b as usize]);
        let stops = stops_in(word);
        let found = (stops != 0).then(|| (stops.trailing_zeros() / 8) as usize);
        assert_eq!(found, first, "{bytes:?}");
    }
}

#[test]
fn next_stop_finds_the_first_stop() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = (x % 40) as usize;
        let mut bytes: Vec<u8> = (0..len)
            .map(|k| b"abcdefgh/ \xe9\x7f\xff"[(x >> (k % 60)) as usize % 13])
            .collect();
        if len > 0 && !x.is_multiple_of(4) {
            bytes[(x >> 8) as usize % len] = [b'"', b'\\', 0x00, 0x1f][(x >> 16) as usize % 4];
        }
        let start = (x >> 24) as usize % (len + 1);
        let found = next_stop(&bytes, start);
        let first = (start..len).find(|&k| STRING_STOP[bytes[k] as usize]);
        match first {
            // Either the stop itself, or a place in the tail before it.
            Some(k) => assert!(
                found == k || (found <= k && len - found < 16),
                "{bytes:?} {start}"
            ),
            None => assert!(
                found <= len && (found == len || len - found < 16),
                "{bytes:?}"
            ),
        }
    }
}

#[test]
fn declines_what_serde_decides() {
    for line in [
        r#"{"verb":"get","verb":"list"}"#,
        r#"{"verb":null}"#,
        r#"{"responseStatus":{"code":200.0}}"#,
        r#"{"auditID":"a","responseStatus":{"code":-0}}"#,
        r#"{"auditID":"a","annotations":{"authorization.k8s.io/decision":1e400}}"#,
        r#"{"auditID":"a","annotations":{"authorization.k8s.io/decision":["\ud800"]}}"#,
        r#"{"v\u0065rb":"get"}"#,
        r#"{"kind":"EventList","items":[]}"#,
        r#"{"auditID":"a"} x"#,
        r#"{"auditID":"a","x":[1,2,]}"#,
        r#"{"auditID":"a","x":01}"#,
        r#"{"auditID":"a","x":"tab	in string"}"#,
        r#"{"auditID":"a","x":"\q"}"#,
        r#"{"auditID":"a","x":tru}"#,
        r#"{"auditID":"a""#,
        "",
        "[]",
    ] {
        assert!(event(line.as_bytes()).is_none(), "{line}");
    }
    let deep = format!(
        r#"{{"auditID":"a","x":{}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(event(deep.as_bytes()).is_none());
}

/// Every JSON line of the logs at hand (the demo's, the test fixtures, the shared
/// corpus when it is beside the project): same events as serde_json, and the fast path
/// takes nearly all of them (else it would be no fast path).
#[test]
fn agrees_with_serde_on_real_logs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![(
        "demo".to_string(),
        String::from_utf8_lossy(crate::sources::demo::audit_log()).into_owned(),
    )];
    for dir in [
        root.join("tests/fixtures/audit"),
        root.join("../shared/corpus/audit"),
        root.join("../shared/corpus/audit/falco-trace-files"),
    ] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                texts.push((entry.path().display().to_string(), text));
            }
        }
    }
    let (mut lines, mut taken) = (0, 0);
    for (name, text) in &texts {
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            lines += 1;
            if let Some(fast) = event(line.as_bytes()) {
                taken += 1;
                assert_eq!(Some(fast), serde(line), "{name}: {line}");
            }
        }
    }
    assert!(lines >= 20, "only {lines} lines to compare");
    assert!(taken * 10 >= lines * 9, "fast path took {taken} of {lines}");
}

#[test]
fn agrees_with_serde_on_every_cut_and_flip() {
    // Truncations and single-byte changes of a full event: wherever the fast path
    // answers, it answers what serde_json answers.
    for cut in 0..FULL.len() {
        if FULL.is_char_boundary(cut) {
            assert!(agrees(&FULL[..cut]), "cut at {cut}");
        }
    }
    let bytes = FULL.as_bytes();
    for at in 0..bytes.len() {
        for with in [
            b'"', b'\\', b'{', b'}', b'[', b',', b':', b' ', b'0', b'n', 0x01,
        ] {
            let mut changed = bytes.to_vec();
            changed[at] = with;
            if let Ok(line) = std::str::from_utf8(&changed) {
                assert!(agrees(line), "byte {at} -> {with:?}: {line}");
            }
        }
    }
}
