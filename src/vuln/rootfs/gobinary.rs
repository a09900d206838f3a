//! Go binaries' build information (Go 1.18 and later write it inline): the Go version and
//! the modules the binary was built from, as `go version -m` prints them. The executable is
//! streamed once and the `\xff Go buildinf:` header looked for at its 16-byte alignment, so
//! no binary is held in memory; packages are listed as Trivy's Go binary parser lists them
//! (`stdlib` at the Go version, each dependency with its replacement applied, the main
//! module unless it is `(devel)`).

use crate::vuln::language::{Ecosystem, LangPackage};
use std::io::{self, Read};

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// What kaudit keeps of a Go binary: this, the Go version, a newline, the module info.
pub const MARKER: &[u8] = b"\0kaudit go buildinfo\n";
/// Executables bigger than this are not looked through.
pub const MAX_BINARY_BYTES: u64 = 512 << 20;
/// Build information is a few KiB; more than this after the header is not read.
const MAX_INFO_BYTES: usize = 256 << 10;

/// Looks through an executable for Go build information; `None` when it is not a Go
/// binary (or one built before Go 1.18, whose information is not inline).
pub fn scan(reader: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let finder = memchr::memmem::Finder::new(MAGIC);
    let mut window: Vec<u8> = Vec::with_capacity(128 << 10);
    // The file offset of window[0].
    let mut base: u64 = 0;
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        window.extend_from_slice(&chunk[..n]);
        let mut from = 0;
        while let Some(at) = finder.find(&window[from..]).map(|i| i + from) {
            if (base + at as u64).is_multiple_of(16) {
                let mut info = window[at..].to_vec();
                // Enough of what follows for the two strings.
                while info.len() < MAX_INFO_BYTES {
                    let n = reader.read(&mut chunk)?;
                    if n == 0 {
                        break;
                    }
                    info.extend_from_slice(&chunk[..n]);
                }
                return Ok(record(&info));
            }
            from = at + 1;
        }
        // Keep the tail, where a header may have begun.
        let keep = window.len().min(MAGIC.len() + 15);
        let drop = window.len() - keep;
        base += drop as u64;
        window.drain(..drop);
    }
}

/// The version and module info after the 32-byte header (flags bit 2: inline strings).
fn record(info: &[u8]) -> Option<Vec<u8>> {
    let flags = *info.get(15)?;
    if flags & 2 == 0 {
        return None;
    }
    let mut rest = info.get(32..)?;
    let mut string = || -> Option<Vec<u8>> {
        let (len, used) = uvarint(rest)?;
        let len = usize::try_from(len).ok()?;
        let body = rest.get(used..used.checked_add(len)?)?.to_vec();
        rest = &rest[used + len..];
        Some(body)
    };
    let version = string()?;
    let mut modinfo = string()?;
    // The linker wraps module info in 16-byte sentinels.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = modinfo[16..modinfo.len() - 16].to_vec();
    }
    let mut out = MARKER.to_vec();
    out.extend_from_slice(&version);
    out.push(b'\n');
    out.extend_from_slice(&modinfo);
    Some(out)
}

fn uvarint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The packages of a kept record (see [`MARKER`]) found at `path`.
pub fn packages(path: &str, record: &[u8]) -> Vec<LangPackage> {
    let Some(text) = record.strip_prefix(MARKER) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(text);
    let mut lines = text.lines();
    let go = lines.next().unwrap_or("");
    let package = |name: &str, version: &str| LangPackage {
        ecosystem: Ecosystem::Go,
        name: name.to_string(),
        version: version.to_string(),
        path: path.to_string(),
        layer: None,
    };
    let mut out = Vec::new();
    // `go1.21.5` (or `go1.21.5 X:boringcrypto`) → `v1.21.5`.
    let stdlib = go.strip_prefix("go").unwrap_or(go);
    let stdlib = stdlib.split([' ', '-']).next().unwrap_or("");
    if !stdlib.is_empty() {
        out.push(package("stdlib", &format!("v{stdlib}")));
    }
    let mut main = None;
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["path", _, ..] => {}
            ["mod", name, version, ..] => main = Some(package(name, version)),
            ["dep", name, version, ..] => out.push(package(name, version)),
            // A replacement of the dependency just listed.
            ["=>", name, version, ..] => {
                if let Some(last) = out.last_mut().filter(|p| p.name != "stdlib") {
                    *last = package(name, version);
                }
            }
            _ => {}
        }
    }
    out.retain(|p| !p.name.is_empty() && p.version != "(devel)");
    out.extend(main.filter(|m| m.version != "(devel)" && !m.version.is_empty()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An executable with inline build information at a 16-byte boundary.
    pub fn binary(version: &str, modinfo: &str) -> Vec<u8> {
        let mut out = vec![0x7fu8; 48];
        out.extend_from_slice(b"ELF-ish padding.");
        let mut header = MAGIC.to_vec();
        header.push(8);
        header.push(2);
        header.resize(32, 0);
        out.extend_from_slice(&header);
        for s in [version.as_bytes(), modinfo.as_bytes()] {
            let mut n = s.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                out.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
            out.extend_from_slice(s);
        }
        out.extend(vec![0u8; 1000]);
        out
    }

    #[test]
    fn build_info_lists_stdlib_dependencies_and_main() {
        let modinfo = "path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:x\ndep\tgithub.com/a/b\tv1.0.0\th1:y\n=>\tgithub.com/fork/b\tv1.0.1\th1:z\ndep\tgolang.org/x/text\tv0.3.6\th1:w\nbuild\tGOOS=linux\n";
        let bytes = binary("go1.21.5", modinfo);
        let record = scan(&mut &bytes[..]).unwrap().unwrap();
        let found: Vec<String> = packages("usr/bin/app", &record)
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        assert_eq!(
            found,
            [
                "stdlib v1.21.5",
                "github.com/fork/b v1.0.1",
                "golang.org/x/text v0.3.6",
                "example.com/app v1.2.3"
            ]
        );
        // Not aligned, or not Go at all: nothing.
        let mut shifted = vec![0u8];
        shifted.extend(&bytes);
        assert!(scan(&mut &shifted[..]).unwrap().is_none());
        assert!(scan(&mut &b"#!/bin/sh\necho hi\n"[..]).unwrap().is_none());
        // A header whose lengths run past the end.
        let mut cut = binary("go1.21.5", modinfo);
        cut.truncate(cut.len() - 1100);
        assert!(scan(&mut &cut[..]).unwrap().is_none());
    }
}
