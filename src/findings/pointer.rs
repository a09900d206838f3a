//! Where a piece of evidence is: a JSON pointer kept in parts until it is written out.
//!
//! A scan of ten thousand workloads records over a hundred thousand pieces of evidence, and
//! building each pointer as a string (`/items/3/spec/template` + `/spec/containers/0` +
//! `/securityContext/runAsUser`) cost a tenth of the checking time. The object's part is
//! shared by all of a workload's evidence; the rest is mostly fixed text.

use crate::inventory::containers::ContainerPointer;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A field relative to a pod (`/spec/...`, `/metadata/...`), as the checks name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodField {
    /// The whole pointer.
    Path(Cow<'static, str>),
    /// A field of the pod spec: `/spec` then the rest (`/securityContext/runAsNonRoot`).
    Spec(&'static str),
    /// A field of one container: its pointer (`/spec/containers/1`) then the rest
    /// (`/securityContext/privileged`, or nothing for the container itself).
    Container(ContainerPointer, &'static str),
}

impl fmt::Display for PodField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PodField::Path(path) => f.write_str(path),
            PodField::Spec(rest) => write!(f, "/spec{rest}"),
            PodField::Container(container, rest) => write!(f, "{container}{rest}"),
        }
    }
}

impl From<String> for PodField {
    fn from(path: String) -> Self {
        PodField::Path(Cow::Owned(path))
    }
}

impl From<&'static str> for PodField {
    fn from(path: &'static str) -> Self {
        PodField::Path(Cow::Borrowed(path))
    }
}

/// A JSON pointer inside a file's document: the pod's own place (`/items/3/spec/template`
/// for the template of the fourth object of a List), then a field of the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pod: Option<Arc<str>>,
    field: PodField,
}

impl Pointer {
    /// `field` of the pod whose pointer inside the document is `pod` (may be empty).
    pub fn in_pod(pod: Arc<str>, field: PodField) -> Self {
        Pointer {
            pod: Some(pod),
            field,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pod.as_deref().is_none_or(str::is_empty)
            && match &self.field {
                PodField::Path(path) => path.is_empty(),
                _ => false,
            }
    }

    /// The pointer written out.
    pub fn text(&self) -> Cow<'_, str> {
        match (&self.pod, &self.field) {
            (None, PodField::Path(path)) => Cow::Borrowed(path),
            _ => Cow::Owned(self.to_string()),
        }
    }
}

impl From<String> for Pointer {
    fn from(path: String) -> Self {
        Pointer {
            pod: None,
            field: PodField::from(path),
        }
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pod) = &self.pod {
            f.write_str(pod)?;
        }
        write!(f, "{}", self.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::containers::containers;
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    #[test]
    fn parts_are_written_out_in_order() {
        let spec = PodSpec {
            init_containers: Some(vec![Container::default()]),
            containers: vec![Container::default(), Container::default()],
            ..PodSpec::default()
        };
        let c = containers(&spec)[2].pointer();
        let in_list: Arc<str> = "/items/3/spec/template".into();
        let at = |field| Pointer::in_pod(in_list.clone(), field).to_string();
        assert_eq!(
            at(PodField::Container(c, "/securityContext/privileged")),
            "/items/3/spec/template/spec/containers/1/securityContext/privileged"
        );
        assert_eq!(
            at(PodField::Spec("/hostNetwork")),
            "/items/3/spec/template/spec/hostNetwork"
        );
        assert_eq!(
            at("/metadata/annotations/a~1b".into()),
            "/items/3/spec/template/metadata/annotations/a~1b"
        );
        let pod = Pointer::in_pod("".into(), PodField::Container(c, ""));
        assert_eq!(pod.text(), "/spec/containers/1");
        assert!(!pod.is_empty());
        assert!(Pointer::from(String::new()).is_empty());
        assert_eq!(Pointer::from("/rules/0".to_string()).text(), "/rules/0");
    }
}
