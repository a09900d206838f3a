//! An audit policy file: parsed, linted, and asked about a few requests.
#![no_main]

use kaudit::auditlog::policy::{AuditPolicy, Request, ResourceAttrs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = AuditPolicy::parse("fuzz.yaml", text) else {
        return;
    };
    policy.lint(&mut kaudit::findings::Recorder::with_capacity(0));
    for (verb, resource, sub) in [("create", "pods", ""), ("get", "secrets", ""), ("create", "pods", "exec")] {
        let request = Request {
            user: "system:anonymous",
            groups: &["system:unauthenticated"],
            verb,
            resource: Some(ResourceAttrs {
                resource,
                subresource: sub,
                namespace: "default",
                ..ResourceAttrs::default()
            }),
            path: "/api/v1/namespaces/default/pods",
        };
        let _ = policy.decide(&request);
    }
});
