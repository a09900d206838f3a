//! The `audit.k8s.io/v1` Event, as far as kaudit reads it. Tolerant: every field is optional
//! (failed-authentication events have an empty user; test fixtures drop apiVersion/kind;
//! v1beta1 events carry `timestamp` instead of `requestReceivedTimestamp`). Response bodies
//! are skipped: detections do not need them and they are the bulk of a log.

use super::body::Body;
use serde::Deserialize;
use serde_json::Value;

/// Event strings: most are short (verbs, names, stages) and kept inline, without an
/// allocation each; the event is built a million times a gigabyte.
pub type Text = compact_str::CompactString;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[serde(default)]
    pub username: Text,
    #[serde(default)]
    pub groups: Vec<Text>,
}

/// The event annotations detections read; the others (the authorizer's long reason on
/// every event) are skipped without being copied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations(Vec<(&'static str, Text)>);

const KEPT_ANNOTATIONS: &[&str] = &[
    "authorization.k8s.io/decision",
    "pod-security.kubernetes.io/audit-violations",
    "authentication.k8s.io/stale-token",
    "authentication.k8s.io/legacy-token",
];

impl Annotations {
    pub fn get(&self, key: &str) -> Option<&Text> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The kept key spelled `key`, if it is one.
    pub(crate) fn kept_key(key: &[u8]) -> Option<&'static str> {
        KEPT_ANNOTATIONS
            .iter()
            .find(|k| k.as_bytes() == key)
            .copied()
    }

    pub(crate) fn push(&mut self, key: &'static str, value: Text) {
        self.0.push((key, value));
    }
}

/// A map key, matched against [`KEPT_ANNOTATIONS`] without allocating.
struct KeptKey;

impl<'de> serde::de::DeserializeSeed<'de> for KeptKey {
    type Value = Option<&'static str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeptKey {
    type Value = Option<&'static str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an annotation key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Annotations::kept_key(v.as_bytes()))
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Map;
        impl<'de> serde::de::Visitor<'de> for Map {
            type Value = Annotations;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Annotations, A::Error> {
                let mut kept = Vec::new();
                while let Some(key) = map.next_key_seed(KeptKey)? {
                    match key {
                        // Values that are not strings (a broken log) count as absent.
                        Some(k) => {
                            if let Value::String(v) = map.next_value::<Value>()? {
                                kept.push((k, v.into()));
                            }
                        }
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Annotations(kept))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Annotations, E> {
                Ok(Annotations::default())
            }
        }
        d.deserialize_any(Map)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    #[serde(default)]
    pub resource: Text,
    #[serde(default)]
    pub namespace: Text,
    #[serde(default)]
    pub name: Text,
    #[serde(default)]
    pub subresource: Text,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Status {
    #[serde(default)]
    pub code: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct LegacyMeta {
    #[serde(default, rename = "creationTimestamp")]
    pub creation_timestamp: Option<Text>,
}

/// A request body: only the fact that there was one when no detection reads bodies of its
/// kind (copying every body costs more than parsing the rest of its event); else its JSON
/// text, which the parsing threads turn into the tree the detections read, so that the
/// thread running the rules never parses JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum RawJson {
    NotKept,
    /// Known to be one valid JSON value.
    Text(Box<str>),
    Parsed(Box<Body>),
}

impl RawJson {
    /// For text the caller has checked is one JSON value.
    pub(crate) fn validated(text: &str) -> RawJson {
        RawJson::Text(text.into())
    }

    /// A body that was there but not kept.
    pub(crate) fn not_kept() -> RawJson {
        RawJson::NotKept
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        Ok(RawJson::Text(raw.get().into()))
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    #[serde(default)]
    pub kind: Option<Text>,
    #[serde(default)]
    pub api_version: Option<Text>,
    #[serde(default, rename = "auditID")]
    pub audit_id: Text,
    #[serde(default)]
    pub stage: Text,
    #[serde(default)]
    pub level: Text,
    #[serde(default, rename = "requestURI")]
    pub request_uri: Text,
    #[serde(default)]
    pub verb: Text,
    #[serde(default)]
    pub user: UserInfo,
    #[serde(default)]
    pub impersonated_user: Option<UserInfo>,
    #[serde(default, rename = "sourceIPs")]
    pub source_ips: Vec<Text>,
    #[serde(default)]
    pub object_ref: Option<ObjectRef>,
    #[serde(default)]
    pub response_status: Option<Status>,
    #[serde(default)]
    /// Kept as raw JSON: most bodies (pod status updates, events) are never looked at, and
    /// building a tree for each would cost more than the rest of the event.
    pub request_object: Option<RawJson>,
    #[serde(default)]
    pub request_received_timestamp: Option<Text>,
    #[serde(default)]
    pub stage_timestamp: Option<Text>,
    /// v1beta1 only.
    #[serde(default)]
    pub timestamp: Option<Text>,
    #[serde(default)]
    pub metadata: Option<LegacyMeta>,
    #[serde(default)]
    pub annotations: Annotations,
}

impl AuditEvent {
    /// When the request arrived (v1), else the legacy timestamps.
    pub fn time(&self) -> Option<&str> {
        self.request_received_timestamp
            .as_deref()
            .or(self.stage_timestamp.as_deref())
            .or(self.timestamp.as_deref())
            .or(self
                .metadata
                .as_ref()
                .and_then(|m| m.creation_timestamp.as_deref()))
    }

    /// Whether this looks like an audit event at all (and not some other JSON document).
    pub fn is_plausible(&self) -> bool {
        let kind_ok = self.kind.as_deref().is_none_or(|k| k == "Event");
        kind_ok
            && (!self.audit_id.is_empty() || !self.verb.is_empty() || !self.request_uri.is_empty())
    }

    /// The request body as a JSON tree, for the detections that read it: the one the
    /// parsing thread made, else parsed now.
    pub fn body(&self) -> Option<std::borrow::Cow<'_, Body>> {
        match self.request_object.as_ref()? {
            RawJson::NotKept => None,
            RawJson::Text(text) => serde_json::from_str(text).ok().map(std::borrow::Cow::Owned),
            RawJson::Parsed(body) => Some(std::borrow::Cow::Borrowed(&**body)),
        }
    }

    /// Done on the parsing threads: the body a detection reads becomes its tree, the others
    /// are dropped.
    pub(crate) fn prepared(mut self) -> Self {
        self.prepare_body();
        self
    }

    fn prepare_body(&mut self) {
        let read = super::detect::reads_body(self);
        if let Some(raw) = &mut self.request_object
            && let RawJson::Text(text) = raw
        {
            *raw = match read
                .then(|| serde_json::from_str::<Body>(text).ok())
                .flatten()
            {
                Some(body) => RawJson::Parsed(Box::new(body)),
                None => RawJson::NotKept,
            };
        }
    }

    pub fn code(&self) -> Option<i64> {
        self.response_status.as_ref().and_then(|s| s.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_events() {
        let e: AuditEvent =
            serde_json::from_str(r#"{"auditID":"a","verb":"get","user":{},"extra":1}"#).unwrap();
        assert!(e.is_plausible());
        let not: AuditEvent = serde_json::from_str(r#"{"kind":"Pod","metadata":{}}"#).unwrap();
        assert!(!not.is_plausible());
        assert!(serde_json::from_str::<AuditEvent>(r#"{"kind": 0}"#).is_err());
    }

    /// The parsing threads hand the rules a body already parsed, and only the bodies a
    /// detection reads; both parsers (the hand-written one, serde's for batches) agree.
    #[test]
    fn bodies_are_parsed_where_the_event_is() {
        use crate::auditlog::reader::{Json, parse_json_line};
        let pod = br#"{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"create","objectRef":{"resource":"pods","namespace":"shop"},"requestObject":{"spec":{"hostPID":true}}}"#;
        let event_of = |line: &[u8]| match parse_json_line(line) {
            Ok(Json::Event(e)) => e,
            _ => panic!("not an event"),
        };
        let e = event_of(pod);
        assert!(matches!(e.request_object, Some(RawJson::Parsed(_))));
        let body = e.body().expect("a body");
        assert!(
            matches!(body, std::borrow::Cow::Borrowed(_)),
            "not parsed again"
        );
        assert_eq!(
            body.pointer("/spec/hostPID").and_then(Body::as_bool),
            Some(true)
        );
        // An event body no detection reads is not kept.
        let lease = br#"{"kind":"Event","auditID":"b","verb":"update","objectRef":{"resource":"leases"},"requestObject":{"spec":{}}}"#;
        assert_eq!(event_of(lease).request_object, Some(RawJson::NotKept));
        // A webhook batch's items go through serde: the same outcome.
        let batch = format!(
            r#"{{"kind":"EventList","items":[{}]}}"#,
            std::str::from_utf8(pod).unwrap()
        );
        let Ok(Json::Batch(Some(items))) = parse_json_line(batch.as_bytes()) else {
            panic!("not a batch")
        };
        let first = items[0].as_ref().unwrap();
        assert!(matches!(first.request_object, Some(RawJson::Parsed(_))));
    }
}
