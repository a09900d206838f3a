//! Writes a bbolt `trivy.db` from YAML in Trivy's fixture format (bolt-fixtures: a list of
//! `{bucket, pairs}`; a pair is a nested `{bucket, pairs}` or a `{key, value}`; a scalar value
//! is stored as its text, a mapping or list as JSON). The demo's vulnerability database is
//! written this way, and the tests write Trivy's own fixtures with it.

use bbolt_rs::{Bolt, BucketRwApi, DbRwAPI, TxRwRefApi};
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

/// One key of the database: its bucket path, key and value.
type Entry = (Vec<String>, String, Vec<u8>);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("fixture YAML: {0}")]
    Yaml(String),
    #[error("{}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// Writes `dir/trivy.db` and a schema-2 `metadata.json` from YAML texts. `dir` must be a new,
/// private folder: the files are created, never opened through a link.
pub fn build(dir: &Path, yaml_texts: &[&str]) -> Result<PathBuf, Error> {
    let mut entries: Vec<Entry> = Vec::new();
    for text in yaml_texts {
        let docs = YamlLoader::load_from_str(text).map_err(|e| Error::Yaml(e.to_string()))?;
        for doc in docs {
            for item in doc.as_vec().map(Vec::as_slice).unwrap_or(&[]) {
                walk(item, &mut Vec::new(), &mut entries);
            }
        }
    }
    let path = dir.join("trivy.db");
    let fail = |message: String| Error::Write {
        path: path.clone(),
        message,
    };
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(fail(
            "already exists; a fixture is written into a new folder".into(),
        ));
    }
    let mut db = Bolt::open(&path).map_err(|e| fail(e.to_string()))?;
    db.update(|mut tx| {
        for (buckets, key, value) in &entries {
            let mut bucket = tx.create_bucket_path(buckets)?;
            bucket.put(key.as_bytes(), value)?;
        }
        Ok(())
    })
    .map_err(|e| fail(e.to_string()))?;
    drop(db);
    std::fs::write(
        dir.join("metadata.json"),
        r#"{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-12-01T00:00:00Z","DownloadedAt":"2026-12-01T00:00:00Z"}"#,
    )
    .map_err(|e| fail(e.to_string()))?;
    Ok(path)
}

fn walk(item: &Yaml, path: &mut Vec<String>, out: &mut Vec<Entry>) {
    if let Some(name) = item["bucket"].as_str() {
        path.push(name.to_string());
        for pair in item["pairs"].as_vec().map(Vec::as_slice).unwrap_or(&[]) {
            walk(pair, path, out);
        }
        path.pop();
    } else if !item["key"].is_badvalue() && !path.is_empty() {
        out.push((
            path.clone(),
            scalar(&item["key"]),
            value_bytes(&item["value"]),
        ));
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
        Yaml::Hash(_) | Yaml::Array(_) => json(y).to_string().into_bytes(),
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
