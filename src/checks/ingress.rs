//! Ingress TLS (NET002): does every host an Ingress routes get served over TLS, with a
//! certificate of its own?

use crate::findings::message::msg;
use crate::findings::{Evidence, FindingInput, Location, Recorder, Subject};
use crate::inventory::{IngressInfo, Inventory};
use std::borrow::Cow;

pub fn run(inv: &Inventory, rec: &mut Recorder) {
    for ingress in &inv.ingresses {
        rec.within(&ingress.namespace);
        rec.decide("NET002", judge(ingress));
    }
    rec.within("");
}

/// Whether a TLS entry's host covers a routed host: the same name, or a `*.` wildcard for
/// exactly one more label (as certificates match).
fn covers(tls_host: &str, host: &str) -> bool {
    if tls_host.eq_ignore_ascii_case(host) {
        return true;
    }
    tls_host.strip_prefix("*.").is_some_and(|suffix| {
        host.split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(suffix))
    })
}

fn judge(ingress: &IngressInfo) -> Option<FindingInput> {
    let spec = &ingress.spec;
    let at = &ingress.origin.pointer;
    let tls = spec.tls.as_deref().unwrap_or_default();
    let rules = spec.rules.as_deref().unwrap_or_default();
    // Hosts routed, with where each is named; a rule without a host (or only a default
    // backend) answers every host.
    let mut routed: Vec<(String, String)> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| match r.host.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => (h.to_string(), format!("{at}/spec/rules/{i}/host")),
            None => ("every host".to_string(), format!("{at}/spec/rules/{i}")),
        })
        .collect();
    if routed.is_empty() && spec.default_backend.is_some() {
        routed.push(("every host".into(), format!("{at}/spec/defaultBackend")));
    }
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    if tls.is_empty() {
        if routed.is_empty() {
            return None;
        }
        let hosts: Vec<&str> = routed.iter().map(|(h, _)| h.as_str()).collect();
        problems.push(msg!(
            "serves {} over plain HTTP only (no spec.tls)",
            hosts.join(", ")
        ));
        evidence.extend(
            routed
                .iter()
                .map(|(h, p)| Evidence::at(p.clone(), h.clone())),
        );
    } else {
        // An entry without hosts takes the controller's wildcard setting: it covers all.
        let catch_all = tls
            .iter()
            .any(|t| t.hosts.as_ref().is_none_or(|h| h.is_empty()));
        for (host, pointer) in &routed {
            let covered = catch_all
                || (host != "every host"
                    && tls
                        .iter()
                        .flat_map(|t| t.hosts.iter().flatten())
                        .any(|t| covers(t, host)));
            if !covered && host != "every host" {
                problems.push(msg!("serves {host} without TLS (not in spec.tls hosts)"));
                evidence.push(Evidence::at(pointer.clone(), host.clone()));
            }
        }
        for (i, entry) in tls.iter().enumerate() {
            if entry.secret_name.as_deref().is_none_or(str::is_empty) {
                let hosts = entry.hosts.as_deref().unwrap_or_default().join(", ");
                problems.push(msg!(
                    "spec.tls[{i}]{} names no secretName: the controller serves its default, self-signed certificate",
                    if hosts.is_empty() { String::new() } else { format!(" ({hosts})") }
                ));
                evidence.push(Evidence::at(format!("{at}/spec/tls/{i}"), "no secretName"));
            }
        }
    }
    if problems.is_empty() {
        return None;
    }
    Some(FindingInput {
        subject: Subject::object("Ingress", ingress.namespace.as_str(), ingress.name.as_str()),
        message: msg!(
            "Ingress {}/{} {}",
            ingress.namespace,
            ingress.name,
            problems.join("; ")
        )
        .into(),
        evidence,
        location: Some(Location {
            file: ingress.origin.file.clone(),
            line: ingress.origin.line,
        }),
        discriminator: Cow::Borrowed(""),
        severity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("shop.acme.example", "SHOP.acme.example"));
        assert!(covers("*.acme.example", "shop.acme.example"));
        assert!(!covers("*.acme.example", "a.shop.acme.example"));
        assert!(!covers("*.acme.example", "acme.example"));
        assert!(!covers("shop.acme.example", "api.acme.example"));
    }
}
