//! JSON `kind: List` files read one entry at a time: `kubectl get -A -o json` of a whole
//! cluster is one document of hundreds of megabytes, and a `serde_json::Value` of it weighs
//! several times the text.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The top-level `kind` of a JSON object, read without building the tree; `None` when the
/// text is not a JSON object with a string `kind`.
pub fn top_level_kind(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct KindOnly {
        kind: Option<String>,
    }
    serde_json::from_str::<KindOnly>(text).ok()?.kind
}

/// Hands each entry of the top-level `items` array to `on_item`, in order, with its index.
/// Other keys are skipped without being built. Entries handed out before a syntax error stay
/// handed out; the error says where.
pub fn stream_items(
    text: &str,
    on_item: &mut dyn FnMut(usize, Value),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(ListVisitor { on_item })?;
    de.end()
}

struct ListVisitor<'a> {
    on_item: &'a mut dyn FnMut(usize, Value),
}

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes List object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut next_index = 0;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                map.next_value_seed(Items {
                    on_item: &mut *self.on_item,
                    next_index: &mut next_index,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Items<'a> {
    on_item: &'a mut dyn FnMut(usize, Value),
    next_index: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects under `items`")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.on_item)(*self.next_index, item);
            *self.next_index += 1;
        }
        Ok(())
    }
}

/// Lines (1-based) where the entries of the top-level `items` array start, found by a scan
/// of the bytes that tracks only strings and nesting; empty when there is no such array.
pub fn item_lines(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut line, mut depth) = (1u32, 0usize);
    // The last string closed at depth 1 (a key of the root object) and whether it was
    // `"items"`; set to true once that key's `[` opens the array kaudit wants.
    let (mut last_key_is_items, mut in_items) = (false, false);
    let mut expecting_entry = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if in_items && depth == 2 && expecting_entry {
                    lines.push(line);
                    expecting_entry = false;
                }
                if depth == 1 {
                    last_key_is_items = &bytes[start..i.min(bytes.len())] == b"items";
                }
            }
            b'{' | b'[' => {
                if in_items && depth == 2 && expecting_entry {
                    lines.push(line);
                    expecting_entry = false;
                }
                depth += 1;
                if depth == 2 && b == b'[' && last_key_is_items && !in_items {
                    in_items = true;
                    expecting_entry = true;
                }
            }
            b'}' | b']' => {
                if in_items && depth == 2 {
                    return lines;
                }
                depth = depth.saturating_sub(1);
            }
            b',' if in_items && depth == 2 => expecting_entry = true,
            b' ' | b'\t' | b'\r' | b':' | b',' => {}
            _ => {
                if in_items && depth == 2 && expecting_entry {
                    lines.push(line);
                    expecting_entry = false;
                }
            }
        }
        i += 1;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lines_of_list_entries_whatever_the_key_order() {
        let text = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"kind\": \"Pod\", \"x\": \"[{\\\"\"},\n    {\n      \"kind\": \"Pod\"\n    }, 3\n  ],\n  \"kind\": \"List\"\n}\n";
        assert_eq!(item_lines(text), [4, 5, 7]);
        assert_eq!(top_level_kind(text).as_deref(), Some("List"));
        let mut seen = Vec::new();
        stream_items(text, &mut |i, v| seen.push((i, v))).unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1].1["kind"], "Pod");
        assert_eq!(seen[2], (2, serde_json::json!(3)));
    }

    #[test]
    fn entries_before_a_syntax_error_are_kept_and_the_error_has_a_line() {
        let text = "{\"kind\": \"List\", \"items\": [\n{\"kind\": \"Pod\"},\n{\"kind\": \n";
        let mut seen = 0;
        let err = stream_items(text, &mut |_, _| seen += 1).unwrap_err();
        assert_eq!(seen, 1);
        assert_eq!(err.line(), 4);
        assert_eq!(top_level_kind(text), None);
        assert_eq!(top_level_kind("{\"items\": [], \"kind\": 3}"), None);
    }
}
