//! An exemptions file: parsed, and edited the way the TUI edits it (an entry appended, one
//! removed); what an edit writes must parse again.
#![no_main]

use kaudit::triage::{edit, parse_exemptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(exemptions) = parse_exemptions("fuzz.yaml", text) else {
        return;
    };
    if let Some(first) = exemptions.first() {
        if let Some(appended) = edit::append(text, first) {
            let again = parse_exemptions("fuzz.yaml", &appended)
                .expect("an appended exemptions file parses again");
            assert_eq!(again.len(), exemptions.len() + 1);
        }
        if let Some(removed) = edit::remove(text, |e| e == first) {
            let again = parse_exemptions("fuzz.yaml", &removed)
                .expect("an edited exemptions file parses again");
            assert!(again.len() < exemptions.len());
        }
    }
});
