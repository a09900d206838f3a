//! A reader under `tar::Archive` that reads the headers as they pass and refuses a GNU long
//! name or link, or a PAX header, over 1 MiB: the tar crate reads those whole into memory,
//! so a small compressed layer could otherwise make it allocate gigabytes. It tracks entry
//! boundaries itself (header size fields, PAX `size` records, old GNU sparse extension
//! blocks) and passes every byte through unchanged.

use std::io::{self, Read};

/// Long names, long links and PAX headers are at most this long.
pub const MAX_META_BYTES: u64 = 1 << 20;

enum State {
    /// Collecting a 512-byte header.
    Header,
    /// Old GNU sparse extension headers still to pass.
    Sparse,
    /// Entry data (and padding) still to pass; PAX data is kept to read its `size`.
    Data { left: u64, pax: Option<Vec<u8>> },
}

pub struct Guarded<R> {
    inner: R,
    state: State,
    block: Vec<u8>,
    /// A PAX `size` for the next entry's data.
    next_size: Option<u64>,
    /// A sparse entry's data size, once its extension blocks have passed.
    pending_size: u64,
}

impl<R: Read> Guarded<R> {
    pub fn new(inner: R) -> Self {
        Guarded {
            inner,
            state: State::Header,
            block: Vec::with_capacity(512),
            next_size: None,
            pending_size: 0,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Data { left, pax } => {
                    let n = (*left).min(bytes.len() as u64) as usize;
                    if let Some(pax) = pax {
                        pax.extend_from_slice(&bytes[..n]);
                    }
                    *left -= n as u64;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        if let Some(pax) = pax.take() {
                            self.next_size = pax_size(&pax);
                        }
                        self.state = State::Header;
                    }
                }
                State::Header | State::Sparse => {
                    let n = (512 - self.block.len()).min(bytes.len());
                    self.block.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if self.block.len() == 512 {
                        let block = std::mem::take(&mut self.block);
                        self.block.reserve(512);
                        self.header(&block)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn header(&mut self, block: &[u8]) -> io::Result<()> {
        if matches!(self.state, State::Sparse) {
            // Another extension block follows while its last byte says so.
            if block[504] == 0 {
                self.begin_data(self.pending_size);
            }
            return Ok(());
        }
        if block.iter().all(|b| *b == 0) {
            return Ok(());
        }
        let size = octal_or_binary(&block[124..136])
            .ok_or_else(|| invalid("a tar header with an unreadable size"))?;
        let kind = block[156];
        if matches!(kind, b'L' | b'K' | b'x' | b'g') {
            if size > MAX_META_BYTES {
                return Err(invalid(&format!(
                    "a tar {} of {size} bytes (over {MAX_META_BYTES}); not read",
                    if kind == b'L' || kind == b'K' {
                        "long name"
                    } else {
                        "PAX header"
                    }
                )));
            }
            self.state = State::Data {
                left: padded(size),
                pax: (kind == b'x').then(Vec::new),
            };
            if size == 0 {
                self.state = State::Header;
            }
            return Ok(());
        }
        let size = self.next_size.take().unwrap_or(size);
        if kind == b'S' && block[482] != 0 {
            self.pending_size = size;
            self.state = State::Sparse;
            return Ok(());
        }
        self.begin_data(size);
        Ok(())
    }

    fn begin_data(&mut self, size: u64) {
        self.state = if size == 0 {
            State::Header
        } else {
            State::Data {
                left: padded(size),
                pax: None,
            }
        };
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.feed(&buf[..n])?;
        Ok(n)
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

fn padded(size: u64) -> u64 {
    size.saturating_add(511) / 512 * 512
}

/// A tar number field: octal ASCII, or base-256 when its first byte has the high bit set.
fn octal_or_binary(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut n: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(*b))?;
        }
        return Some(n);
    }
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// The `size` record of PAX data (`<len> size=<n>\n` lines).
fn pax_size(data: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(data)
        .lines()
        .find_map(|line| line.split_once(' ')?.1.strip_prefix("size="))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: tar::EntryType, name: &str, data: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    fn read_all(bytes: &[u8]) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for e in tar::Archive::new(Guarded::new(bytes)).entries()? {
            names.push(String::from_utf8_lossy(&e?.path_bytes()).into_owned());
        }
        Ok(names)
    }

    #[test]
    fn ordinary_archives_pass_and_huge_long_names_do_not() {
        let mut ok = entry(tar::EntryType::Regular, "a", b"hello");
        ok.extend(entry(
            tar::EntryType::GNULongName,
            "././@LongLink",
            b"long/name/here\0",
        ));
        ok.extend(entry(tar::EntryType::Regular, "x", b"data"));
        ok.extend(entry(tar::EntryType::XHeader, "pax", b"12 path=b/c\n"));
        ok.extend(entry(tar::EntryType::Regular, "y", &[7u8; 1000]));
        ok.extend([0u8; 1024]);
        assert_eq!(read_all(&ok).unwrap(), ["a", "long/name/here", "b/c"]);

        // A long name that claims 8 GiB: refused at its header, nothing allocated for it.
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::GNULongName);
        header.set_size(8 << 30);
        header.set_cksum();
        let mut bomb = header.as_bytes().to_vec();
        bomb.extend([b'a'; 4096]);
        let err = read_all(&bomb).unwrap_err().to_string();
        assert!(err.contains("long name"), "{err}");
    }
}
