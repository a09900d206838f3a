//! Secret values never leave kaudit: an audit event shown or written in full (the raw-event
//! view) has the `data` and `stringData` of every Secret in its bodies replaced by a note of
//! their size. The audit policy may log Secret writes at RequestResponse; kaudit still does
//! not show them.

use serde_json::Value;

/// Redacts Secret values in an event's request and response bodies, in place.
pub fn secrets(event: &mut Value) {
    let about_secrets =
        event.pointer("/objectRef/resource").and_then(Value::as_str) == Some("secrets");
    for body in ["requestObject", "responseObject"] {
        if let Some(object) = event.get_mut(body) {
            redact(object, about_secrets, 0);
        }
    }
}

/// `secret_context`: the request is about Secrets, so a body without a `kind` (a patch) is
/// taken for one.
fn redact(value: &mut Value, secret_context: bool, depth: usize) {
    // Bodies come from a parsed line, bounded by the reader; this bound is for the walk.
    if depth > 64 {
        return;
    }
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_string);
    match kind.as_deref() {
        Some("Secret") => blank_values(value),
        None if secret_context => blank_values(value),
        _ => {}
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "items" || key == "object" {
                    redact(child, secret_context && kind.is_none(), depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                redact(item, secret_context, depth + 1);
            }
        }
        _ => {}
    }
}

fn blank_values(secret: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(Value::Object(values)) = secret.get_mut(field) {
            for value in values.values_mut() {
                let size = value.as_str().map_or(0, str::len);
                *value = Value::String(format!("(redacted: {size} bytes)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_in_any_body_are_redacted() {
        let mut event = json!({
            "objectRef": {"resource": "secrets", "namespace": "shop", "name": "db"},
            "requestObject": {"kind": "Secret", "data": {"password": "c2VjcmV0"}, "stringData": {"token": "plain-token"}},
            "responseObject": {"kind": "SecretList", "items": [{"kind": "Secret", "data": {"key": "a2V5"}}]}
        });
        secrets(&mut event);
        let text = event.to_string();
        for leaked in ["c2VjcmV0", "plain-token", "a2V5"] {
            assert!(!text.contains(leaked), "{text}");
        }
        assert_eq!(
            event["requestObject"]["data"]["password"],
            "(redacted: 8 bytes)"
        );

        // A patch body (no kind) of a Secret.
        let mut patch = json!({
            "objectRef": {"resource": "secrets"},
            "requestObject": {"stringData": {"token": "plain-token"}}
        });
        secrets(&mut patch);
        assert!(!patch.to_string().contains("plain-token"));

        // Other kinds are left as they are.
        let mut config = json!({"requestObject": {"kind": "ConfigMap", "data": {"a": "b"}}});
        secrets(&mut config);
        assert_eq!(config["requestObject"]["data"]["a"], "b");
    }
}
