//! One manifest file, YAML or JSON, through the loader, the inventory and every cluster
//! check: none of them may panic, whatever the bytes.
#![no_main]

use kaudit::checks::ScanConfig;
use kaudit::inventory::SourceInfo;
use kaudit::inventory::build;
use kaudit::inventory::input::Loaded;
use kaudit::sources::manifests::load_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first byte picks the name, so both the JSON and the YAML readers are driven.
    let name = if data.first().is_some_and(|b| b % 2 == 0) {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    let mut loaded = Loaded::default();
    load_text(name, text, &mut loaded);
    let source = SourceInfo::new("manifests", "fuzz", false, false);
    let inventory = build::from_loaded(source, loaded);
    let _ = kaudit::engine::check_cluster(&inventory, &ScanConfig::default());
});
