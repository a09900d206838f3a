//! The student's own files the grader reads as they are: the answer file (`key: value`
//! lines) and, for objects kaudit does not audit (an Ingress), the manifests themselves.

use super::workdir::{MANIFESTS, read_bounded};
use std::collections::BTreeMap;
use std::path::Path;

/// The answer file's values by key. Garbage is an error naming the line, never a guess.
pub fn read(path: &Path, name: &str) -> Result<BTreeMap<String, String>, String> {
    let bytes = read_bounded(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text"))?;
    let doc = crate::yaml::split_documents(&text)
        .first()
        .map(|d| crate::yaml::parse_document(*d))
        .transpose()
        .map_err(|e| format!("{name}:{}: {}", e.line, e.message))?
        .flatten();
    let Some(doc) = doc else {
        return Ok(BTreeMap::new());
    };
    let serde_json::Value::Object(map) = doc.value else {
        return Err(format!("{name} should hold `key: value` lines"));
    };
    let mut answers = BTreeMap::new();
    for (key, value) in map {
        let value = match value {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
            _ => {
                return Err(format!(
                    "{name}: {key} should be one value, not a list or a map"
                ));
            }
        };
        answers.insert(key, value);
    }
    Ok(answers)
}

/// The object of this kind, namespace and name in the work folder's manifests.
pub fn find_object(
    folder: &Path,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<serde_json::Value, String> {
    let root = folder.join(MANIFESTS);
    for entry in walkdir::WalkDir::new(&root)
        .follow_links(false)
        .max_depth(8)
        .into_iter()
        .flatten()
    {
        let path = entry.path();
        let yaml = path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        if !entry.file_type().is_file() || !yaml {
            continue;
        }
        let Ok(bytes) = read_bounded(path) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        for doc in crate::yaml::split_documents(&text) {
            let Ok(Some(doc)) = crate::yaml::parse_document(doc) else {
                continue;
            };
            let v = &doc.value;
            let field = |p: &str| {
                v.pointer(p)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
            };
            if field("/kind") == kind
                && field("/metadata/name") == name
                && field("/metadata/namespace") == namespace
            {
                return Ok(doc.value);
            }
        }
    }
    Err(format!("{kind} {namespace}/{name} is not in {MANIFESTS}/"))
}
