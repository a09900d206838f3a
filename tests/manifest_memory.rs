//! Reading big manifest files keeps at most about the file's text and one document's tree
//! in memory: a `kubectl get -A -o yaml|json` dump of a cluster is one `kind: List`
//! document, and holding it as one tree cost four to seven times the file.
//!
//! A counting allocator measures the peak of live bytes while the loader runs; this file
//! has a single test so that nothing else allocates at the same time.

use kaudit::inventory::build;
use kaudit::sources::manifests::{MAX_FILE_BYTES, load_paths_with};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak live bytes above the start while `work` runs.
fn peak_during(work: impl FnOnce()) -> usize {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    work();
    PEAK.load(Ordering::Relaxed) - start
}

const ENTRIES: usize = 12_000;

fn config_map(i: usize) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": format!("settings-{i}"), "namespace": "shop"},
        "data": {"a": "x".repeat(300), "b": "y".repeat(300), "port": "8080"},
    })
}

fn yaml_list() -> String {
    // kubectl's key order: `items` before `kind`.
    let mut text = String::from("apiVersion: v1\nitems:\n");
    for i in 0..ENTRIES {
        let entry = serde_json::to_string(&config_map(i)).unwrap();
        text.push_str(&format!("- {entry}\n"));
    }
    text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    text
}

fn json_list() -> String {
    let items: Vec<_> = (0..ENTRIES).map(config_map).collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}
    }))
    .unwrap()
}

fn yaml_stream() -> String {
    (0..ENTRIES)
        .map(|i| format!("---\n{}\n", serde_json::to_string(&config_map(i)).unwrap()))
        .collect()
}

fn measure(dir: &Path, name: &str, text: &str) -> (usize, usize) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let mut objects = 0;
    let peak = peak_during(|| {
        let loaded = load_paths_with(
            std::slice::from_ref(&path),
            MAX_FILE_BYTES,
            &build::type_owned,
        );
        assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
        objects = loaded.objects.len();
    });
    std::fs::remove_file(&path).unwrap();
    (peak, objects)
}

#[test]
fn big_lists_and_streams_are_read_one_document_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("list.yaml", yaml_list()),
        ("list.json", json_list()),
        ("stream.yaml", yaml_stream()),
    ] {
        let size = text.len();
        let (peak, objects) = measure(dir.path(), name, &text);
        assert_eq!(objects, ENTRIES, "{name}");
        // Twice the file (the text, read once, and what reading it needs), plus the typed
        // objects, whose vector may have doubled once: the inventory keeps no document.
        let inventory = 2 * objects * std::mem::size_of::<build::TypedObject>();
        eprintln!("{name}: {size} bytes, peak {peak} live bytes, typed objects {inventory}");
        assert!(
            peak < 2 * size + inventory,
            "{name}: reading a {size}-byte file peaked at {peak} live bytes ({:.1}x)",
            peak as f64 / size as f64
        );
    }
}
