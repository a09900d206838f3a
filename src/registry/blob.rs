//! Blobs read through a check: never more bytes than the descriptor says, and at the end
//! the size and the SHA-256 must be the ones it names. The check sits under the
//! decompressor and the tar reader, so a tampered layer is refused however it is read.

use sha2::{Digest, Sha256};
use std::io::{self, Read};

pub struct Verified<R> {
    inner: R,
    hasher: Sha256,
    /// The expected hex digest; `None` when the source gives none (the digest is then only
    /// computed, see [`Verified::digest`]).
    expected: Option<String>,
    /// The declared size; `None` when the source gives none.
    size: Option<u64>,
    read: u64,
    done: bool,
}

impl<R: Read> Verified<R> {
    pub fn new(inner: R, expected_hex: Option<&str>, size: Option<u64>) -> Self {
        Verified {
            inner,
            hasher: Sha256::new(),
            expected: expected_hex.map(str::to_string),
            size,
            read: 0,
            done: false,
        }
    }

    /// Reads what is left, so the digest is checked even when the reader above stopped
    /// early (a tar archive's end marker comes before its padding).
    pub fn finish(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }

    /// `sha256:<hex>` of what was read so far.
    pub fn digest(&self) -> String {
        format!("sha256:{:x}", self.hasher.clone().finalize())
    }

    fn check_end(&mut self) -> io::Result<()> {
        self.done = true;
        if let Some(size) = self.size
            && self.read != size
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("truncated: {} bytes of {size}", self.read),
            ));
        }
        if let Some(expected) = &self.expected {
            let actual = format!("{:x}", self.hasher.clone().finalize());
            if &actual != expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("digest mismatch: content is sha256:{actual}"),
                ));
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        // One byte past the declared size is enough to know the source lies.
        let room = match self.size {
            Some(size) => (size - self.read.min(size))
                .saturating_add(1)
                .min(buf.len() as u64) as usize,
            None => buf.len(),
        };
        let n = self.inner.read(&mut buf[..room])?;
        if n == 0 {
            self.check_end()?;
            return Ok(0);
        }
        self.read += n as u64;
        if let Some(size) = self.size
            && self.read > size
        {
            self.done = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("longer than the {size} bytes its descriptor names"),
            ));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8]) -> String {
        format!("{:x}", Sha256::digest(data))
    }

    #[test]
    fn good_blobs_pass_and_lies_are_named() {
        let data = b"layer bytes";
        let mut ok = Verified::new(&data[..], Some(&hex(data)), Some(data.len() as u64));
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);

        let mut tampered = Verified::new(&b"layer bytez"[..], Some(&hex(data)), Some(11));
        let err = tampered.finish().unwrap_err().to_string();
        assert!(err.starts_with("digest mismatch"), "{err}");

        let mut long = Verified::new(&b"layer bytes and more"[..], Some(&hex(data)), Some(11));
        let err = long.finish().unwrap_err().to_string();
        assert!(err.contains("longer than the 11 bytes"), "{err}");

        // A descriptor claiming the largest size there is reads as truncated, not a panic.
        let mut huge = Verified::new(&data[..], Some(&hex(data)), Some(u64::MAX));
        assert!(huge.finish().unwrap_err().to_string().contains("truncated"));

        let mut short = Verified::new(&b"layer"[..], Some(&hex(data)), Some(11));
        let err = short.finish().unwrap_err().to_string();
        assert!(err.contains("truncated: 5 bytes of 11"), "{err}");
    }
}
