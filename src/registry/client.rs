//! The distribution API over HTTP(S), read-only: manifests and blobs by reference, with
//! every body bounded (manifests 4 MiB, tokens and error bodies 64 KiB; a blob no longer
//! than its descriptor), time-outs on connect and on each read, and plain HTTP only for
//! loopback registries and those the user names. Well-kept OCI clients read manifests,
//! tokens and error bodies whole, which a hostile registry turns into unbounded memory;
//! that is why this small client exists.
//!
//! The client owns a single-threaded runtime and blocks on it, so the layer reader above it
//! stays plain `Read`; call it from a thread that is not inside a runtime.

use super::auth::{Challenge, Credentials, parse_challenge};
use super::blob::Verified;
use super::manifest::{self, ACCEPTED, Descriptor, ImageManifest, MAX_MANIFEST_BYTES, Platform};
use super::{ImageSource, RegistryError};
use crate::image_ref::{DOCKER_HUB, ImageRef};
use std::io::Read;
use std::time::Duration;

const MAX_SMALL_BODY: usize = 64 << 10;

/// How kaudit talks to registries.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Registries (`host:port`) reached over plain HTTP besides loopback ones.
    pub insecure: Vec<String>,
    /// Connect and per-read time-out.
    pub timeout: Duration,
    pub credentials: Credentials,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            insecure: Vec::new(),
            timeout: Duration::from_secs(30),
            credentials: Credentials::Anonymous,
        }
    }
}

pub struct Remote {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    image: ImageRef,
    name: String,
    base: String,
    credentials: Credentials,
    timeout: Duration,
    /// The `Authorization` value won from the registry's challenge.
    authorization: Option<String>,
}

impl Remote {
    pub fn new(reference: &str, options: RemoteOptions) -> Result<Remote, RegistryError> {
        let name = reference.to_string();
        let image = ImageRef::parse(reference)
            .filter(valid_for_url)
            .ok_or_else(|| RegistryError::invalid(&name, "reference", "not an image reference"))?;
        let host = if image.registry == DOCKER_HUB {
            "registry-1.docker.io".to_string()
        } else {
            image.registry.clone()
        };
        let plain = is_loopback(&host) || options.insecure.iter().any(|h| h == &host);
        let base = format!("{}://{host}/v2/", if plain { "http" } else { "https" });
        // kaudit's TLS is rustls with ring everywhere (kube too); installing it twice is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RegistryError::invalid(&name, "runtime", e.to_string()))?;
        // The client's timers belong to the runtime it will run on.
        let guard = runtime.enter();
        let http = reqwest::Client::builder()
            .connect_timeout(options.timeout)
            .read_timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // Blob storage redirects are normal; a downgrade from HTTPS to plain HTTP
                // is not followed.
                let downgrade = attempt.url().scheme() == "http"
                    && attempt.previous().iter().any(|u| u.scheme() == "https");
                if downgrade {
                    attempt.error("a redirect from HTTPS to plain HTTP")
                } else if attempt.previous().len() >= 5 {
                    attempt.error("more than 5 redirects")
                } else {
                    attempt.follow()
                }
            }))
            .user_agent(concat!("kaudit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| transport(&name, "client", &e))?;
        drop(guard);
        Ok(Remote {
            runtime,
            http,
            image,
            name,
            base,
            credentials: options.credentials,
            timeout: options.timeout,
            authorization: None,
        })
    }

    pub fn reference(&self) -> &ImageRef {
        &self.image
    }

    /// A GET on `path` (under `/v2/<repository>/`), answering the registry's challenge once.
    fn get(
        &mut self,
        path: &str,
        accept: &str,
        what: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let url = format!("{}{}/{path}", self.base, self.image.repository);
        let mut challenged = false;
        loop {
            let mut request = self.http.get(&url);
            if !accept.is_empty() {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            if let Some(value) = &self.authorization {
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
            let response = self
                .runtime
                .block_on(async { request.send().await })
                .map_err(|e| transport(&self.name, what, &e))?;
            let status = response.status().as_u16();
            if status == 401 && !challenged {
                challenged = true;
                let header = response
                    .headers()
                    .get(reqwest::header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                self.authorization = Some(self.answer(&header, what)?);
                continue;
            }
            return match status {
                200..=299 => Ok(response),
                401 | 403 => Err(RegistryError::Unauthorized {
                    image: self.name.clone(),
                    status,
                    hint: match self.credentials {
                        Credentials::Anonymous => {
                            " (the Docker config has no credentials for this registry)".into()
                        }
                        _ => String::new(),
                    },
                }),
                404 => Err(RegistryError::NotFound {
                    image: self.name.clone(),
                    what: what.to_string(),
                }),
                _ => Err(RegistryError::Status {
                    image: self.name.clone(),
                    what: what.to_string(),
                    status,
                }),
            };
        }
    }

    /// The `Authorization` value for a challenge: a bearer token from its realm, or the
    /// user's basic credentials.
    fn answer(&self, header: &str, what: &str) -> Result<String, RegistryError> {
        let refused = |hint: &str| RegistryError::Unauthorized {
            image: self.name.clone(),
            status: 401,
            hint: hint.to_string(),
        };
        match parse_challenge(header) {
            Some(Challenge::Basic) => match &self.credentials {
                Credentials::Basic { username, password } => {
                    use base64::Engine;
                    let pair = format!("{username}:{password}");
                    Ok(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ))
                }
                Credentials::Anonymous => Err(refused(
                    " (the registry wants a user and password; the Docker config has none for it)",
                )),
                Credentials::IdentityToken(_) => Err(refused(
                    " (the registry wants a user and password, not an identity token)",
                )),
            },
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                // Credentials go to the token service only over TLS, unless the registry
                // itself is reached in plain HTTP (loopback, --insecure-registry).
                let plain_ok = realm.starts_with("http://") && self.base.starts_with("http://");
                if !(realm.starts_with("https://") || plain_ok) {
                    return Err(refused(&format!(
                        " (its token service {} is not HTTPS; no credentials sent)",
                        crate::sanitize::strip_controls(&realm)
                    )));
                }
                let scope =
                    scope.unwrap_or_else(|| format!("repository:{}:pull", self.image.repository));
                let mut query = vec![("scope", scope.clone())];
                if let Some(service) = &service {
                    query.push(("service", service.clone()));
                }
                let request = match &self.credentials {
                    Credentials::IdentityToken(token) => {
                        let mut form = query.clone();
                        form.push(("grant_type", "refresh_token".into()));
                        form.push(("refresh_token", token.clone()));
                        form.push(("client_id", "kaudit".into()));
                        self.http.post(&realm).form(&form)
                    }
                    Credentials::Basic { username, password } => self
                        .http
                        .get(&realm)
                        .query(&query)
                        .basic_auth(username, Some(password)),
                    Credentials::Anonymous => self.http.get(&realm).query(&query),
                };
                let body = self.runtime.block_on(async {
                    let response = request
                        .send()
                        .await
                        .map_err(|e| transport(&self.name, "token", &e))?;
                    let status = response.status().as_u16();
                    let body =
                        read_body(response, MAX_SMALL_BODY, &self.name, "token", self.timeout)
                            .await?;
                    if status != 200 {
                        return Err(refused(&format!(" (the token service answered {status})")));
                    }
                    Ok(body)
                })?;
                #[derive(serde::Deserialize)]
                struct Token {
                    #[serde(default)]
                    token: String,
                    #[serde(default)]
                    access_token: String,
                }
                let token: Token = serde_json::from_slice(&body).map_err(|e| {
                    RegistryError::invalid(&self.name, "token", format!("unreadable answer: {e}"))
                })?;
                let token = if token.token.is_empty() {
                    token.access_token
                } else {
                    token.token
                };
                if token.is_empty() {
                    return Err(RegistryError::invalid(&self.name, "token", "empty token"));
                }
                Ok(format!("Bearer {token}"))
            }
            None => Err(RegistryError::invalid(
                &self.name,
                what,
                "401 without a challenge kaudit can answer",
            )),
        }
    }

    /// A manifest or index by tag or digest: its bytes and digest (checked when the
    /// reference is a digest).
    pub fn manifest_bytes(&mut self, reference: &str) -> Result<(Vec<u8>, String), RegistryError> {
        let what = format!("manifest {reference}");
        let response = self.get(
            &format!("manifests/{reference}"),
            &ACCEPTED.join(", "),
            &what,
        )?;
        let name = self.name.clone();
        let bytes = self.runtime.block_on(read_body(
            response,
            MAX_MANIFEST_BYTES,
            &name,
            &what,
            self.timeout,
        ))?;
        let digest = {
            let mut hashed = Verified::new(&bytes[..], manifest::sha256_hex(reference), None);
            hashed
                .finish()
                .map_err(|e| RegistryError::invalid(&name, &what, e.to_string()))?;
            hashed.digest()
        };
        Ok((bytes, digest))
    }
}

impl Remote {
    /// The manifests that name `digest` as their subject (signatures, attestations, SBOMs):
    /// the referrers API, else the tag schema's `sha256-<hex>` index when the registry has no
    /// such API. Empty when there are none.
    pub fn referrers(&mut self, digest: &str) -> Result<Vec<Descriptor>, RegistryError> {
        let hex = manifest::sha256_hex(digest)
            .ok_or_else(|| RegistryError::invalid(&self.name, digest, "not a sha256 digest"))?;
        let what = format!("referrers of {digest}");
        let bytes = match self.get(&format!("referrers/{digest}"), manifest::OCI_INDEX, &what) {
            Ok(response)
                if response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with(manifest::OCI_INDEX)) =>
            {
                let name = self.name.clone();
                self.runtime.block_on(read_body(
                    response,
                    MAX_MANIFEST_BYTES,
                    &name,
                    &what,
                    self.timeout,
                ))?
            }
            // No referrers API (404, or an answer that is not an index): the fallback tag.
            Ok(_) | Err(RegistryError::NotFound { .. }) => {
                match self.manifest_bytes(&format!("sha256-{hex}")) {
                    Ok((bytes, _)) => bytes,
                    Err(RegistryError::NotFound { .. }) => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let document = manifest::Document::parse(&self.name, &bytes)?;
        Ok(document.manifests)
    }
}

impl ImageSource for Remote {
    fn name(&self) -> &str {
        &self.name
    }

    fn manifest(&mut self, platform: &Platform) -> Result<ImageManifest, RegistryError> {
        let reference = self
            .image
            .digest
            .clone()
            .or_else(|| self.image.tag.clone())
            .unwrap_or_else(|| "latest".into());
        let first = self.manifest_bytes(&reference)?;
        let name = self.name.clone();
        manifest::resolve(&name, first, platform, |d| {
            if manifest::sha256_hex(&d.digest).is_none() {
                return Err(RegistryError::invalid(
                    &name,
                    &d.digest,
                    "not a sha256 digest",
                ));
            }
            Ok(self.manifest_bytes(&d.digest)?.0)
        })
    }

    fn blob(&mut self, descriptor: &Descriptor) -> Result<Box<dyn Read + '_>, RegistryError> {
        let hex = manifest::sha256_hex(&descriptor.digest).ok_or_else(|| {
            RegistryError::invalid(&self.name, &descriptor.digest, "not a sha256 digest")
        })?;
        let what = format!("blob {}", descriptor.digest);
        let response = self.get(&format!("blobs/{}", descriptor.digest), "", &what)?;
        let reader = BodyReader {
            runtime: &self.runtime,
            response,
            pending: bytes::Bytes::new(),
            deadline: std::time::Instant::now() + self.timeout.saturating_mul(BLOB_DEADLINE),
        };
        Ok(Box::new(Verified::new(
            reader,
            Some(hex),
            Some(descriptor.size),
        )))
    }
}

/// A blob may take this many time-outs in all (30 s → 20 minutes): a registry sending a byte
/// now and then never ends a scan otherwise.
const BLOB_DEADLINE: u32 = 40;
/// A manifest or token answer may take this many time-outs in all.
const SMALL_DEADLINE: u32 = 2;

/// A response body as `Read`, a chunk at a time, until its deadline.
struct BodyReader<'a> {
    runtime: &'a tokio::runtime::Runtime,
    response: reqwest::Response,
    pending: bytes::Bytes,
    deadline: std::time::Instant,
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            if std::time::Instant::now() > self.deadline {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out: the blob took longer than its deadline",
                ));
            }
            match self.runtime.block_on(self.response.chunk()) {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::other(describe(&e))),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

async fn read_body(
    response: reqwest::Response,
    limit: usize,
    image: &str,
    what: &str,
    timeout: Duration,
) -> Result<Vec<u8>, RegistryError> {
    tokio::time::timeout(
        timeout.saturating_mul(SMALL_DEADLINE),
        read_all(response, limit, image, what),
    )
    .await
    .map_err(|_| RegistryError::Transport {
        image: image.to_string(),
        what: what.to_string(),
        message: "timed out: the answer took longer than its deadline".into(),
    })?
}

async fn read_all(
    mut response: reqwest::Response,
    limit: usize,
    image: &str,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport(image, what, &e))?
    {
        if out.len() + chunk.len() > limit {
            return Err(RegistryError::invalid(
                image,
                what,
                format!("larger than {} KiB; not read", limit >> 10),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn transport(image: &str, what: &str, e: &reqwest::Error) -> RegistryError {
    RegistryError::Transport {
        image: image.to_string(),
        what: what.to_string(),
        message: describe(e),
    }
}

/// reqwest's error with its causes, which say what went wrong (refused, timed out, TLS).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    let mut depth = 0;
    while let Some(cause) = source
        && depth < 4
    {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
        depth += 1;
    }
    text
}

fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    name == "localhost"
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Repository, tag and digest as the distribution spec allows them, so nothing else ends up
/// in a URL.
fn valid_for_url(image: &ImageRef) -> bool {
    // path-component = alpha-numeric (separator alpha-numeric)*
    let alphanumeric =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let repository = image.repository.split('/').all(|part| {
        alphanumeric(part.as_bytes().first())
            && alphanumeric(part.as_bytes().last())
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    let tag = image.tag.as_deref().is_none_or(|t| {
        t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    let digest = image
        .digest
        .as_deref()
        .is_none_or(|d| manifest::sha256_hex(d).is_some());
    let host = image
        .registry
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    repository && tag && digest && host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_url_safety() {
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost:5000"));
        assert!(!is_loopback("registry.example.com"));
        assert!(!valid_for_url(&ImageRef::parse("reg.io/a/../b:1").unwrap()));
        assert!(!valid_for_url(&ImageRef::parse("reg.io/a?x=1").unwrap()));
        assert!(valid_for_url(
            &ImageRef::parse("reg.io/team/app:1.2-rc").unwrap()
        ));
    }
}
