//! Debian's `docker-registry` (the CNCF distribution registry) on 127.0.0.1, started by the
//! test with its own storage folder, optionally behind htpasswd basic auth; and a pusher that
//! uploads the test's images through the distribution API.

#![allow(dead_code)]

use super::images::{Blob, Image};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
    /// `user:password` when the registry wants basic auth.
    pub login: Option<(String, String)>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("KAUDIT_REGISTRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/docker-registry"));
    path.is_file().then_some(path)
}

/// The registry, or `None` (after a loud message) when it is not installed and the
/// end-to-end tests may skip; a failure when `KAUDIT_REQUIRE_E2E` says they must run.
pub fn start_or_skip(test: &str, login: Option<(&str, &str)>) -> Option<Registry> {
    let Some(bin) = binary() else {
        assert!(
            std::env::var_os("KAUDIT_REQUIRE_E2E").is_none(),
            "docker-registry is required (KAUDIT_REQUIRE_E2E is set): apt-get install docker-registry"
        );
        eprintln!("\n*** SKIPPED {test}: docker-registry is not installed ***\n");
        return None;
    };
    Some(start(&bin, login))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(bin: &Path, login: Option<(&str, &str)>) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    for _attempt in 0..5 {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let auth = match login {
            Some((user, password)) => {
                let hash = bcrypt::hash(password, 4).unwrap();
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, format!("{user}:{hash}\n")).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: kaudit-test\n    path: {}\n",
                    file.display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Registry {
                    child,
                    addr,
                    _dir: dir,
                    login: login.map(|(u, p)| (u.to_string(), p.to_string())),
                };
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The port was taken between the probe and the start: try another.
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("docker-registry did not start");
}

impl Registry {
    /// Pushes `image`'s blobs and its manifest as `repository:tag`; with `index`, pushes
    /// every image and the index under the tag instead.
    pub fn push(&self, repository: &str, tag: &str, images: &[&Image], index: Option<&Blob>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let http = reqwest::Client::new();
            let base = format!("http://{}/v2/{repository}", self.addr);
            let auth = |r: reqwest::RequestBuilder| match &self.login {
                Some((u, p)) => r.basic_auth(u, Some(p)),
                None => r,
            };
            for image in images {
                for blob in image.blobs().filter(|b| !std::ptr::eq(*b, &image.manifest)) {
                    let started = auth(http.post(format!("{base}/blobs/uploads/")))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(started.status().as_u16(), 202, "upload start");
                    let location = started.headers()["location"].to_str().unwrap().to_string();
                    let url = if location.starts_with("http") {
                        location
                    } else {
                        format!("http://{}{location}", self.addr)
                    };
                    let sep = if url.contains('?') { '&' } else { '?' };
                    let done = auth(http.put(format!("{url}{sep}digest={}", blob.digest)))
                        .header("content-type", "application/octet-stream")
                        .body(blob.bytes.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(done.status().as_u16(), 201, "upload of {}", blob.digest);
                }
                let reference = if index.is_some() {
                    image.manifest.digest.clone()
                } else {
                    tag.to_string()
                };
                put_manifest(&http, &auth, &base, &reference, &image.manifest).await;
            }
            if let Some(index) = index {
                put_manifest(&http, &auth, &base, tag, index).await;
            }
        });
    }
}

impl Registry {
    /// Puts one manifest (or index) under `reference` (a tag or its digest); its blobs must
    /// be there already.
    pub fn put(&self, repository: &str, reference: &str, manifest: &Blob) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let http = reqwest::Client::new();
            let base = format!("http://{}/v2/{repository}", self.addr);
            let auth = |r: reqwest::RequestBuilder| match &self.login {
                Some((u, p)) => r.basic_auth(u, Some(p)),
                None => r,
            };
            put_manifest(&http, &auth, &base, reference, manifest).await;
        });
    }
}

async fn put_manifest(
    http: &reqwest::Client,
    auth: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    base: &str,
    reference: &str,
    blob: &Blob,
) {
    let response = auth(http.put(format!("{base}/manifests/{reference}")))
        .header("content-type", &blob.media_type)
        .body(blob.bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        201,
        "manifest {reference}: {}",
        response.text().await.unwrap_or_default()
    );
}
