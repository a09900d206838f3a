//! A small Debian 12 image and the database it is matched against, shared by the tests
//! that scan images from layouts, archives and a registry.
#![allow(dead_code)]

use super::images::{self, Compression, Entry, Image};
use super::trivydb;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const GLIBC: &[u8] = b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u3\n\nPackage: libc-bin\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u3\n";

pub fn with_openssl() -> Vec<u8> {
    let mut status = GLIBC.to_vec();
    status.extend_from_slice(b"\nPackage: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u1\n");
    status
}

/// A Debian 12 image: the base layer installs glibc, the next adds OpenSSL (rewriting the
/// dpkg status), and a third removes a file with a whiteout and carries hostile entries.
pub fn debian_image(architecture: &str) -> Image {
    let base = images::tar(&[
        Entry::Dir("etc/"),
        Entry::File("etc/debian_version", b"12.2\n"),
        Entry::File("etc/motd", b"hello"),
        Entry::File("var/lib/dpkg/status", GLIBC),
    ]);
    let openssl = with_openssl();
    let app = images::tar(&[Entry::File("./var/lib/dpkg/status", &openssl)]);
    let hostile = images::tar(&[
        Entry::File("etc/.wh.motd", b""),
        Entry::File("../../../tmp/kaudit-escape", b"x"),
        Entry::Symlink("etc/os-release", "/etc/passwd"),
    ]);
    Image::new(
        vec![
            (base, Compression::Gzip),
            (app, Compression::Zstd),
            (hostile, Compression::None),
        ],
        architecture,
    )
}

pub fn db(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vuln");
    let text = std::fs::read_to_string(fixtures.join("db/debian.yaml")).unwrap();
    trivydb::build(dir, &[text])
}

pub fn kaudit(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env_remove("KAUDIT_TRIVY_DB")
        .env("KAUDIT_DATA_DIR", data)
        .env("DOCKER_CONFIG", data.join("docker"))
        .output()
        .unwrap()
}
