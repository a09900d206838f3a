//! Who kaudit is to a registry: anonymous, or the user's Docker credentials (config.json,
//! `credsStore`/`credHelpers` helpers, as `docker pull` finds them), and the bearer-token
//! dance of the distribution spec (a `WWW-Authenticate` challenge, a token from its realm).
//! Credentials never reach a log, an error message or a report.

use std::io::Read;

/// What kaudit presents to the token endpoint.
#[derive(Clone, Default)]
pub enum Credentials {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
    /// A refresh token (`docker login` with an identity provider).
    IdentityToken(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Anonymous => "Anonymous",
            Credentials::Basic { .. } => "Basic(..)",
            Credentials::IdentityToken(_) => "IdentityToken(..)",
        })
    }
}

impl Credentials {
    pub fn describe(&self) -> &'static str {
        match self {
            Credentials::Anonymous => "anonymously",
            Credentials::Basic { .. } => "with the Docker config's user and password",
            Credentials::IdentityToken(_) => "with the Docker config's identity token",
        }
    }
}

/// config.json is a few KiB; a credential file bigger than this is not one.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The credentials Docker would use for `registry` (`docker.io` is looked up under
/// `https://index.docker.io/v1/`), from `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`; anonymous when there are none.
pub fn from_docker_config(registry: &str) -> Result<Credentials, String> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")));
    let Some(path) = dir.map(|d| d.join("config.json")) else {
        return Ok(Credentials::Anonymous);
    };
    let file = match super::layout::open_regular(&path) {
        Ok(file) => file,
        Err(None) => return Ok(Credentials::Anonymous),
        Err(Some(message)) => return Err(format!("{}: {message}", path.display())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let server = if registry == crate::image_ref::DOCKER_HUB {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    match docker_credential::get_credential_from_reader(&bytes[..], server) {
        Ok(DockerCredential::UsernamePassword(username, password)) => {
            Ok(Credentials::Basic { username, password })
        }
        Ok(DockerCredential::IdentityToken(token)) => Ok(Credentials::IdentityToken(token)),
        Err(E::NoCredentialConfigured | E::ConfigNotFound) => Ok(Credentials::Anonymous),
        // A helper's output may hold the secret: only its name is told.
        Err(E::HelperFailure { helper, .. }) => Err(format!(
            "the credential helper {helper} failed for {registry}"
        )),
        Err(other) => Err(format!("{}: {other}", path.display())),
    }
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

/// Parses `Bearer realm="https://auth",service="registry",scope="repository:x:pull"` or
/// `Basic realm="..."`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let (scheme, params) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    let mut rest = params;
    while !rest.trim().is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], quoted[end + 1..].trim_start_matches(','))
        } else {
            after.split_once(',').unwrap_or((after, ""))
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_string()),
            "service" => service = Some(value.to_string()),
            "scope" => scope = Some(value.to_string()),
            _ => {}
        }
        rest = next;
    }
    Some(Challenge::Bearer {
        realm: realm?,
        service,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = Credentials::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
