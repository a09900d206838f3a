//! A request body as a tree, for the detections that read one (`get`, `pointer`, `as_*`,
//! with serde_json's meanings). Not `serde_json::Value`: with the order-keeping maps the
//! crate needs for its reports, every object costs a hash table and a hash per key, and
//! bodies are parsed by the hundred thousand, each read once. Here an object is a list of
//! its members, searched in place (objects in bodies are small).

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Null,
    Bool(bool),
    Number(f64),
    String(Box<str>),
    Array(Vec<Body>),
    Object(Vec<(Box<str>, Body)>),
}

impl Body {
    /// A member of an object; with a key given twice, the last (as serde_json keeps it).
    pub fn get(&self, key: &str) -> Option<&Body> {
        match self {
            Body::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| &**k == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a JSON pointer (RFC 6901): `""` is the whole body, `/a/0/b~1c` walks
    /// members and array positions (`~1` is `/`, `~0` is `~`).
    pub fn pointer(&self, pointer: &str) -> Option<&Body> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut at = self;
        for token in rest.split('/') {
            // Unescaped only when it has escapes: pointers are walked for every container.
            let token: std::borrow::Cow<'_, str> = if token.contains('~') {
                token.replace("~1", "/").replace("~0", "~").into()
            } else {
                token.into()
            };
            at = match at {
                Body::Object(_) => at.get(&token)?,
                Body::Array(items) => items.get(array_index(&token)?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// Every key and string inside, one per line: what a search for words looks through.
    pub fn text(&self) -> String {
        fn walk(body: &Body, out: &mut String) {
            match body {
                Body::String(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                Body::Array(items) => items.iter().for_each(|item| walk(item, out)),
                Body::Object(members) => {
                    for (i, (key, value)) in members.iter().enumerate() {
                        // A key given again later: only its last value counts, as in `get`.
                        if members[i + 1..].iter().any(|(later, _)| later == key) {
                            continue;
                        }
                        out.push_str(key);
                        out.push('\n');
                        walk(value, out);
                    }
                }
                Body::Null | Body::Bool(_) | Body::Number(_) => {}
            }
        }
        let mut out = String::new();
        walk(self, &mut out);
        out
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Body::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Body::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Body>> {
        match self {
            Body::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// An array position in a pointer: digits, no sign, no leading zero (as serde_json reads it).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Body, E> {
        Ok(Body::Null)
    }
    fn visit_none<E>(self) -> Result<Body, E> {
        Ok(Body::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Body, D::Error> {
        Body::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Body, E> {
        Ok(Body::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Body, E> {
        Ok(Body::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Body, E> {
        Ok(Body::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Body, E> {
        Ok(Body::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Body, E> {
        Ok(Body::String(s.into()))
    }
    fn visit_string<E>(self, s: String) -> Result<Body, E> {
        Ok(Body::String(s.into()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Body::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<Box<str>, Body>()? {
            members.push((key, value));
        }
        Ok(Body::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_serde_json() {
        let text = r#"{"kind":"Pod","metadata":{"name":"web","annotations":{"a/b":"x","t~":"y"}},
            "spec":{"hostPID":true,"containers":[{"name":"a","image":"i:1"},{"name":"b"}],
            "n":[1,-2.5,null]},"dup":1,"dup":"last"}"#;
        let body: Body = serde_json::from_str(text).unwrap();
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        for pointer in [
            "",
            "/kind",
            "/metadata/name",
            "/metadata/annotations/a~1b",
            "/metadata/annotations/t~0",
            "/spec/hostPID",
            "/spec/containers/1/name",
            "/spec/containers/01/name",
            "/spec/containers/+1/name",
            "/spec/containers/2",
            "/spec/n/2",
            "/dup",
            "/missing/x",
            "kind",
        ] {
            let (ours, theirs) = (body.pointer(pointer), value.pointer(pointer));
            assert_eq!(ours.is_some(), theirs.is_some(), "{pointer}");
            if let (Some(ours), Some(theirs)) = (ours, theirs) {
                assert_eq!(ours.as_str(), theirs.as_str(), "{pointer}");
                assert_eq!(ours.as_bool(), theirs.as_bool(), "{pointer}");
                assert_eq!(
                    ours.as_array().map(Vec::len),
                    theirs.as_array().map(Vec::len),
                    "{pointer}"
                );
            }
        }
        assert_eq!(body.get("dup").and_then(Body::as_str), Some("last"));
        let text = body.pointer("/metadata").unwrap().text();
        assert!(
            text.contains("name\nweb\n") && text.contains("a/b\nx\n"),
            "{text}"
        );
        let dup: Body = serde_json::from_str(r#"{"k":"password","k":"x"}"#).unwrap();
        assert_eq!(dup.text(), "k\nx\n", "an overridden value is not searched");
        assert!(serde_json::from_str::<Body>("{\"a\":").is_err());
    }
}
