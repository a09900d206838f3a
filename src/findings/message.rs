//! A finding's message, kept in parts and written out only when it is shown.
//!
//! Most messages name their subject (`Container "app" of Deployment shop/web ...`) and end in
//! a fixed phrase. A scan of ten thousand workloads makes over a hundred thousand findings,
//! and formatting each text up front cost more than the checks that found them. The subject
//! is in the finding anyway, so a message keeps only what the subject does not say.

use super::Subject;
use crate::pss::Policy;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The whole text.
    Text(Box<str>),
    /// `Deployment shop/web`, then the rest.
    Workload(Cow<'static, str>),
    /// `Container "app" of Deployment shop/web`, then the rest.
    Container(Cow<'static, str>),
    /// `Image nginx:1.25 of container "app" in Deployment shop/web`, then the rest.
    Image(Cow<'static, str>),
    /// `Deployment shop/web would violate PodSecurity "restricted:latest": reason (detail)`,
    /// worded as the admission warning (`violates` for a pod).
    PodSecurity {
        policy: Policy,
        reason: &'static str,
        /// Shared with the PSS verdict it comes from.
        detail: Arc<str>,
    },
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text.into_boxed_str())
    }
}

impl From<&'static str> for Message {
    fn from(text: &'static str) -> Self {
        Message::Text(text.into())
    }
}

impl Message {
    /// The message written out for `subject` (the finding's own).
    pub fn shown<'a>(&'a self, subject: &'a Subject) -> Shown<'a> {
        Shown {
            message: self,
            subject,
        }
    }
}

/// A message with its subject, ready to display.
pub struct Shown<'a> {
    message: &'a Message,
    subject: &'a Subject,
}

impl<'a> Shown<'a> {
    /// The text, borrowed when the message is already whole.
    pub fn text(&self) -> Cow<'a, str> {
        match self.message {
            Message::Text(text) => Cow::Borrowed(text),
            _ => Cow::Owned(self.to_string()),
        }
    }
}

impl<'a> Shown<'a> {
    /// The text beside a column that already shows the subject (`Deployment/web [app]`,
    /// `exec into pod shop/web by jane`): the message without the words naming it, its
    /// first letter raised. Empty when the message says nothing else.
    pub fn beside_object(&self) -> String {
        let s = self.subject;
        let object = Object::of(s).to_string();
        let container = Quoted(s.container.as_deref().unwrap_or("")).to_string();
        let rest = match self.message {
            Message::Workload(rest) | Message::Container(rest) => rest.to_string(),
            Message::Image(rest) => format!("Image {}{rest}", s.image.as_deref().unwrap_or("")),
            Message::PodSecurity { .. } => {
                let text = self.to_string();
                text.strip_prefix(&object).unwrap_or(&text).to_string()
            }
            Message::Text(text) => {
                let mut text = text.to_string();
                let short = format!("{} {}", s.kind, s.name);
                for named in [
                    format!("Container {container} of {object}"),
                    format!(" of container {container} in {object}"),
                    format!(" through {object}"),
                    format!(" through {short}"),
                ] {
                    text = text.replacen(&named, "", 1);
                }
                for prefix in [&object, &short] {
                    if let Some(rest) = text.strip_prefix(prefix.as_str())
                        && rest.starts_with(' ')
                    {
                        text = rest.to_string();
                    }
                }
                // An audit event's message starts with its user, or with the request the
                // column names (`pods shop/web by jane: ...`).
                if let Some(event) = &s.event {
                    let target = if s.namespace.is_empty() {
                        format!("{} {}", event.resource, s.name)
                    } else {
                        format!("{} {}/{}", event.resource, s.namespace, s.name)
                    };
                    let by = format!("{target} by {}", event.user);
                    for prefix in [&by, &target, &event.user] {
                        if let Some(rest) = text.strip_prefix(prefix.as_str())
                            && rest.starts_with([' ', ':'])
                        {
                            text = rest.to_string();
                            break;
                        }
                    }
                }
                text
            }
        };
        let rest = rest.trim_start_matches([' ', ',', ':']);
        // A sentence starts with a capital; a field name (`runAsUser`) keeps its case.
        let first_word = rest.split(' ').next().unwrap_or("");
        let mut chars = rest.chars();
        match chars.next() {
            Some(first) if first_word.chars().all(|c| !c.is_uppercase()) => {
                first.to_uppercase().chain(chars).collect()
            }
            _ => rest.to_string(),
        }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.subject;
        let object = Object::of(s);
        let container = Quoted(s.container.as_deref().unwrap_or(""));
        match self.message {
            Message::Text(text) => f.write_str(text),
            Message::Workload(rest) => write!(f, "{object}{rest}"),
            Message::Container(rest) => write!(f, "Container {container} of {object}{rest}"),
            Message::Image(rest) => {
                let image = s.image.as_deref().unwrap_or("");
                write!(
                    f,
                    "Image {image} of container {container} in {object}{rest}"
                )
            }
            Message::PodSecurity {
                policy,
                reason,
                detail,
            } => {
                let verb = if s.kind == "Pod" {
                    "violates"
                } else {
                    "would violate"
                };
                write!(f, "{object} {verb} PodSecurity \"{policy}\": {reason}")?;
                if detail.is_empty() {
                    Ok(())
                } else {
                    write!(f, " ({detail})")
                }
            }
        }
    }
}

/// `Deployment shop/web`, or `ClusterRole admin` for cluster-scoped objects, written out
/// where it is used.
pub struct Object<'a> {
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl<'a> Object<'a> {
    fn of(s: &'a Subject) -> Self {
        Object {
            kind: s.kind,
            namespace: &s.namespace,
            name: &s.name,
        }
    }
}

impl fmt::Display for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// `"name"` for messages: Go-style quoting like `{:?}` but without its per-character Unicode
/// checks (names are sanitized for display later anyway).
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            return write!(f, "\"{}\"", self.0);
        }
        write!(f, "{:?}", self.0)
    }
}

/// `format!` for finding texts: written into a warm per-thread buffer, then copied into
/// a string of exactly the right size. Findings are built by the hundred thousand, and
/// `format!` grows each string as it writes (several reallocations apiece), which cost
/// more than the formatting itself.
macro_rules! msg {
    ($($arg:tt)*) => {
        $crate::findings::message::fmt_exact(format_args!($($arg)*))
    };
}
pub(crate) use msg;

pub(crate) fn fmt_exact(args: std::fmt::Arguments<'_>) -> String {
    match args.as_str() {
        Some(text) => text.to_owned(),
        None => with_formatted(args, str::to_owned),
    }
}

/// [`msg!`] into a shared string (`Arc<str>`) made straight from the buffer.
macro_rules! shared {
    ($($arg:tt)*) => {
        $crate::findings::message::with_formatted(format_args!($($arg)*), |text: &str| std::sync::Arc::<str>::from(text))
    };
}
pub(crate) use shared;

/// Formats `args` into the warm per-thread buffer and hands the text to `keep`.
pub(crate) fn with_formatted<T>(args: std::fmt::Arguments<'_>, keep: impl Fn(&str) -> T) -> T {
    use std::fmt::Write;
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(1024));
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let _ = buffer.write_fmt(args);
            keep(&buffer)
        }
        // Formatting inside formatting (a Display that builds a message): plain format.
        Err(_) => keep(&std::fmt::format(args)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pss::{Level, Version};

    fn container() -> Subject {
        Subject {
            container: Some("app".into()),
            image: Some("nginx:1.25".into()),
            ..Subject::object("Deployment", "shop", "web")
        }
    }

    #[test]
    fn parts_are_written_out_with_the_subject() {
        let s = container();
        let shown = |m: Message| m.shown(&s).to_string();
        assert_eq!(
            shown(Message::Container(" runs as root".into())),
            "Container \"app\" of Deployment shop/web runs as root"
        );
        assert_eq!(
            shown(Message::Image(" is not pinned by digest".into())),
            "Image nginx:1.25 of container \"app\" in Deployment shop/web is not pinned by digest"
        );
        assert_eq!(
            shown(Message::Workload(" has no controller".into())),
            "Deployment shop/web has no controller"
        );
        let policy = Policy {
            level: Level::Restricted,
            version: Version::Latest,
        };
        assert_eq!(
            shown(Message::PodSecurity {
                policy,
                reason: "runAsNonRoot != true",
                detail: "pod must set securityContext.runAsNonRoot=true".into(),
            }),
            "Deployment shop/web would violate PodSecurity \"restricted:latest\": runAsNonRoot != true (pod must set securityContext.runAsNonRoot=true)"
        );
        let pod = Subject::object("Pod", "", "p");
        let m = Message::PodSecurity {
            policy,
            reason: "sysctls",
            detail: "".into(),
        };
        assert_eq!(
            m.shown(&pod).to_string(),
            "Pod p violates PodSecurity \"restricted:latest\": sysctls"
        );
        let named = Subject {
            container: Some("a\"b".into()),
            ..Subject::object("Pod", "ns", "p")
        };
        assert_eq!(
            Message::Container(" x".into()).shown(&named).to_string(),
            "Container \"a\\\"b\" of Pod ns/p x"
        );
    }

    #[test]
    fn beside_an_object_column_the_object_is_not_repeated() {
        let s = container();
        let brief = |m: Message| m.shown(&s).beside_object();
        assert_eq!(
            brief(Message::Container(" adds SYS_ADMIN".into())),
            "Adds SYS_ADMIN"
        );
        assert_eq!(
            brief(Message::Image(" is not pinned by digest".into())),
            "Image nginx:1.25 is not pinned by digest"
        );
        assert_eq!(
            brief(Message::Workload(" has no controller".into())),
            "Has no controller"
        );
        // A field name keeps its case.
        assert_eq!(
            brief(Message::Container(
                " runAsUser=0 (want 10000 or more)".into()
            )),
            "runAsUser=0 (want 10000 or more)"
        );
        let binding = Subject::object("RoleBinding", "kube-system", "ci-hotfix");
        let text: Message =
            "ServiceAccount ci/runner can create pods in kube-system through RoleBinding ci-hotfix"
                .into();
        assert_eq!(
            text.shown(&binding).beside_object(),
            "ServiceAccount ci/runner can create pods in kube-system"
        );
        let role = Subject::object("ClusterRoleBinding", "", "admins");
        let text: Message = "ClusterRoleBinding admins gives cluster-admin to User a".into();
        assert_eq!(
            text.shown(&role).beside_object(),
            "Gives cluster-admin to User a"
        );
        let event = Subject {
            event: Some(Box::new(super::super::EventSubject {
                audit_id: "1".into(),
                user: "jane".into(),
                verb: "create".into(),
                resource: "pods".into(),
                timestamp: String::new(),
            })),
            ..Subject::object("AuditEvent", "kube-system", "debugger")
        };
        let text: Message = "jane created pod kube-system/debugger mounting /".into();
        assert_eq!(
            text.shown(&event).beside_object(),
            "Created pod kube-system/debugger mounting /"
        );
        let text: Message = "pods kube-system/debugger by jane: would violate PodSecurity".into();
        assert_eq!(
            text.shown(&event).beside_object(),
            "Would violate PodSecurity"
        );
    }
}
