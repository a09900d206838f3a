//! Writes a real bbolt `trivy.db` from Trivy's fixture YAML (the bolt-fixtures format: a list
//! of `{bucket, pairs}`; a pair is a nested `{bucket, pairs}` or a `{key, value}`), as Trivy's
//! own tests build theirs. Values: a scalar as its text, a mapping or list as JSON.

use bbolt_rs::{Bolt, BucketRwApi, DbRwAPI, TxRwRefApi};
use std::path::Path;
use yaml_rust2::{Yaml, YamlLoader};

/// One key of the database: its bucket path, key and value.
type Entry = (Vec<String>, String, Vec<u8>);

/// Builds `dir/trivy.db` (and a `metadata.json` of schema 2) from YAML texts.
pub fn build(dir: &Path, yaml_texts: &[String]) -> std::path::PathBuf {
    let mut entries: Vec<Entry> = Vec::new();
    for text in yaml_texts {
        for doc in YamlLoader::load_from_str(text).expect("fixture YAML") {
            for item in doc.as_vec().map(Vec::as_slice).unwrap_or(&[]) {
                walk(item, &mut Vec::new(), &mut entries);
            }
        }
    }
    let path = dir.join("trivy.db");
    let mut db = Bolt::open(&path).expect("create the bbolt file");
    db.update(|mut tx| {
        for (buckets, key, value) in &entries {
            let mut bucket = tx.create_bucket_path(buckets)?;
            bucket.put(key.as_bytes(), value)?;
        }
        Ok(())
    })
    .expect("write the fixture database");
    drop(db);
    std::fs::write(
        dir.join("metadata.json"),
        r#"{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    path
}

fn walk(item: &Yaml, path: &mut Vec<String>, out: &mut Vec<Entry>) {
    if let Some(name) = item["bucket"].as_str() {
        path.push(name.to_string());
        for pair in item["pairs"].as_vec().map(Vec::as_slice).unwrap_or(&[]) {
            walk(pair, path, out);
        }
        path.pop();
    } else if !item["key"].is_badvalue() {
        let key = scalar(&item["key"]);
        out.push((path.clone(), key, value_bytes(&item["value"])));
    }
}

fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => float_text(r.parse().unwrap_or(0.0)),
        Yaml::Boolean(b) => b.to_string(),
        _ => "null".into(),
    }
}

/// Go's `fmt.Sprint` of a float: whole numbers without `.0`.
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

fn value_bytes(y: &Yaml) -> Vec<u8> {
    match y {
        Yaml::Hash(_) | Yaml::Array(_) => serde_json::to_vec(&json(y)).unwrap(),
        Yaml::BadValue | Yaml::Null => b"null".to_vec(),
        other => scalar(other).into_bytes(),
    }
}

fn json(y: &Yaml) -> serde_json::Value {
    use serde_json::Value;
    match y {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(r) => {
            let f: f64 = r.parse().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 1e15 {
                Value::from(f as i64)
            } else {
                Value::from(f)
            }
        }
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(json).collect()),
        Yaml::Hash(h) => {
            let mut map: Vec<(String, Value)> =
                h.iter().map(|(k, v)| (scalar(k), json(v))).collect();
            map.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(map.into_iter().collect())
        }
        _ => Value::Null,
    }
}
