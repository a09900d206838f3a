//! The small field paths task criteria name: `spec.tls[].hosts[]`,
//! `containers[name=app].securityContext.runAsNonRoot`. A segment is a key, `[]` every element
//! of a list, `[key=value]` the elements whose `key` is `value`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Each,
    Where(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(Vec<Step>);

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut steps = Vec::new();
        for part in segments(text) {
            let (key, rest) = part.find('[').map_or((part, ""), |i| part.split_at(i));
            if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            }
            let mut rest = rest.to_string();
            while let Some(inner) = rest.strip_prefix('[') {
                let Some((selector, after)) = inner.split_once(']') else {
                    return Err(format!("path {text:?}: unclosed ["));
                };
                if let Some(key) = selector.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                    steps.push(Step::Key(key.to_string()));
                    rest = after.to_string();
                    continue;
                }
                steps.push(match selector.split_once('=') {
                    None if selector.is_empty() => Step::Each,
                    None => {
                        return Err(format!(
                            "path {text:?}: [{selector}] is neither [] nor [key=value]"
                        ));
                    }
                    Some((k, v)) => Step::Where(k.to_string(), v.to_string()),
                });
                rest = after.to_string();
            }
            if !rest.is_empty() {
                return Err(format!("path {text:?}: {rest:?} after ]"));
            }
            if key.is_empty() && part.is_empty() {
                return Err(format!("path {text:?}: empty segment"));
            }
        }
        Ok(Path(steps))
    }

    /// Every value the path reaches.
    pub fn select<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        let mut here = vec![root];
        for step in &self.0 {
            here = here
                .into_iter()
                .flat_map(|v| -> Vec<&'v Value> {
                    match step {
                        Step::Key(k) => v.get(k).into_iter().collect(),
                        Step::Each => v.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
                        Step::Where(k, want) => v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter(|e| e.get(k).is_some_and(|got| scalar_eq(got, want)))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect();
        }
        here
    }
}

/// The path's `.`-separated segments; a `.` inside `[...]` (`["a.b/c"]`, `[name=x.y]`)
/// belongs to its segment.
fn segments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// A scalar as text equals `want` (`true`, `443`, `web`).
fn scalar_eq(got: &Value, want: &str) -> bool {
    match got {
        Value::String(s) => s == want,
        Value::Bool(b) => want.parse::<bool>().ok() == Some(*b),
        Value::Number(n) => want
            .parse::<f64>()
            .ok()
            .is_some_and(|w| n.as_f64() == Some(w)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_keys_lists_and_filtered_elements() {
        let pod = json!({"containers": [
            {"name": "app", "securityContext": {"runAsNonRoot": true}},
            {"name": "sidecar", "securityContext": {"runAsNonRoot": false}}
        ]});
        let path = Path::parse("containers[name=app].securityContext.runAsNonRoot").unwrap();
        assert_eq!(path.select(&pod), vec![&json!(true)]);
        let every = Path::parse("containers[].name").unwrap();
        assert_eq!(every.select(&pod), vec![&json!("app"), &json!("sidecar")]);
        let ingress = json!({"spec": {"tls": [{"hosts": ["a", "b"]}]}});
        let hosts = Path::parse("spec.tls[].hosts[]").unwrap();
        assert_eq!(hosts.select(&ingress).len(), 2);
        let ns = json!({"metadata": {"labels": {"pod-security.kubernetes.io/warn": "restricted"}},
            "spec": {"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1 2"}]}}});
        let warn = Path::parse(r#"metadata.labels["pod-security.kubernetes.io/warn"]"#).unwrap();
        assert_eq!(warn.select(&ns), vec![&json!("restricted")]);
        let sysctl =
            Path::parse("spec.securityContext.sysctls[name=net.ipv4.ip_local_port_range].value")
                .unwrap();
        assert_eq!(sysctl.select(&ns), vec![&json!("1 2")]);
        assert!(Path::parse("spec.tls[").is_err());
        assert!(Path::parse("spec..x").is_err());
        assert!(Path::parse("a[x]").is_err());
    }
}
