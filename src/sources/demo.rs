//! The embedded demo cluster, compiled in from `assets/demo/`, so `kaudit demo` works with
//! no cluster and no files.

use crate::inventory::input::{LoadError, Loaded};
use crate::inventory::{Inventory, SourceInfo, build};
use crate::sources::manifests::load_text;
use include_dir::{Dir, include_dir};

static DEMO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

/// Registries the fictional Acme Shop trusts; the demo scan uses them as its allow-list.
pub const ALLOWED_REGISTRIES: &[&str] = &["registry.acme.example", "registry.k8s.io"];

/// The demo cluster as an inventory.
pub fn inventory() -> Inventory {
    let mut loaded = Loaded::default();
    let mut files: Vec<_> = DEMO
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort_by_key(|f| f.path());
    for file in files {
        let name = format!("demo/{}", file.path().display());
        match file.contents_utf8() {
            Some(text) => load_text(&name, text, &mut loaded),
            None => loaded.errors.push(LoadError {
                file: name,
                line: None,
                message: "not UTF-8".into(),
                pointer: None,
            }),
        }
    }
    let mut source = SourceInfo::new("demo", "embedded demo cluster (Acme Shop)", true, false);
    source.context = "demo".into();
    build::from_loaded(source, loaded)
}

/// The demo cluster's audit log: an attack story among ordinary controller traffic.
pub fn audit_log() -> &'static [u8] {
    DEMO.get_file("audit.log").map_or(&[], |f| f.contents())
}

/// The demo cluster's audit Policy (kube-apiserver's --audit-policy-file).
pub fn audit_policy() -> &'static str {
    DEMO.get_file("audit/policy.yaml")
        .and_then(|f| f.contents_utf8())
        .unwrap_or("")
}

/// The bytes of a demo file by the name findings give it (`demo/...`).
pub fn file_bytes(name: &str) -> Option<&'static [u8]> {
    Some(DEMO.get_file(name.strip_prefix("demo/")?)?.contents())
}

/// The demo's vulnerability database, in Trivy's fixture format.
pub fn vulnerability_db() -> &'static str {
    DEMO.get_file("vuln/db.yaml")
        .and_then(|f| f.contents_utf8())
        .unwrap_or("")
}

/// The demo images' OS and packages (JSON).
/// The signature verdicts recorded for the demo's images (signed, unsigned, another key, a
/// bundle where a policy reads `.sig`, a provenance attestation).
pub fn recorded_signatures() -> &'static str {
    DEMO.get_file("signatures/verdicts.json")
        .and_then(|f| f.contents_utf8())
        .unwrap_or("[]")
}

pub fn vulnerable_images() -> &'static str {
    DEMO.get_file("vuln/images.json")
        .and_then(|f| f.contents_utf8())
        .unwrap_or("{}")
}
