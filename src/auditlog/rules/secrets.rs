//! Credentials: Secret reads, credentials written into ConfigMaps, service account tokens
//! minted by hand.

use super::{Bodies, Detection, Facts, Hit, State, is_system, namespace_phrase, probe};
use crate::auditlog::policy::Level;
use crate::findings::Evidence;
use crate::severity::Severity;

/// Secret reads by people and workloads.
pub const AUD004: Detection = Detection {
    rule: "AUD004",
    check: secret_read,
    probes: &[
        probe("get", "", "secrets", "", "shop", Level::Metadata),
        probe("list", "", "secrets", "", "", Level::Metadata),
    ],
    bodies: &[],
};

fn secret_read(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    if !(obj.resource == "secrets"
        && matches!(e.verb.as_str(), "get" | "list" | "watch")
        && f.ok
        && f.final_stage
        && !is_system(f.user))
    {
        return;
    }
    let cluster_wide = obj.namespace.is_empty() && e.verb != "get";
    let target = if obj.name.is_empty() {
        format!("secrets in {}", namespace_phrase(&obj.namespace))
    } else {
        format!("secret {}/{}", obj.namespace, obj.name)
    };
    hits.push(
        Hit::new(
            format!("{} {} {target}", f.user, e.verb),
            Evidence::labelled("requestURI", e.request_uri.clone()),
        )
        .raised(cluster_wide.then_some(Severity::Critical)),
    );
}

const CREDENTIAL_WORDS: &[&str] = &[
    "aws_access_key_id",
    "aws-access-key-id",
    "aws_s3_access_key_id",
    "aws-s3-access-key-id",
    "password",
    "passphrase",
];

pub const AUD010: Detection = Detection {
    rule: "AUD010",
    check: credentials_in_configmap,
    probes: &[probe(
        "create",
        "",
        "configmaps",
        "",
        "shop",
        Level::Request,
    )],
    bodies: &[Bodies::ConfigmapWrites],
};

fn credentials_in_configmap(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if !(obj.resource == "configmaps" && f.writes && f.final_stage) {
        return;
    }
    let data = f
        .body
        .and_then(|b| b.get("data"))
        .map(|d| d.text().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(word) = CREDENTIAL_WORDS.iter().find(|w| data.contains(*w)) {
        hits.push(Hit::new(
            format!(
                "{} wrote configmap {}/{} containing {word:?}",
                f.user, obj.namespace, obj.name
            ),
            Evidence::labelled("requestObject.data", word.to_string()),
        ));
    }
}

pub const AUD017: Detection = Detection {
    rule: "AUD017",
    check: token_minted,
    probes: &[probe(
        "create",
        "",
        "serviceaccounts",
        "token",
        "shop",
        Level::Metadata,
    )],
    bodies: &[],
};

fn token_minted(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let obj = f.obj;
    if obj.resource == "serviceaccounts"
        && obj.subresource == "token"
        && f.event.verb == "create"
        && f.ok
        && !f.user.starts_with("system:node:")
        && !is_system(f.user)
    {
        hits.push(Hit::new(
            format!(
                "{} minted a token for service account {}/{}",
                f.user, obj.namespace, obj.name
            ),
            Evidence::labelled("objectRef", format!("serviceaccounts/{}/token", obj.name)),
        ));
    }
}

/// Falco's "K8s Secret Get Unsuccessfully Tried": a Secret `get` answered with an error.
/// Falco's semantics (no identity filter, any non-2xx); once per identity and Secret, so a
/// controller retrying a missing Secret is one finding, not one per retry.
pub const AUD025: Detection = Detection {
    rule: "AUD025",
    check: secret_get_failed,
    probes: &[probe("get", "", "secrets", "", "shop", Level::Metadata)],
    bodies: &[],
};

fn secret_get_failed(f: &Facts<'_>, _: &mut State, hits: &mut Vec<Hit>) {
    let (e, obj) = (f.event, f.obj);
    let Some(code) = f.code else { return };
    if obj.resource == "secrets" && e.verb == "get" && f.final_stage && !(200..300).contains(&code)
    {
        hits.push(
            Hit::new(
                format!(
                    "{} tried to read secret {}/{} and got {code}",
                    f.user, obj.namespace, obj.name
                ),
                Evidence::labelled("responseStatus.code", code.to_string()),
            )
            .once_per(format!("{}|{}/{}", f.user, obj.namespace, obj.name)),
        );
    }
}
