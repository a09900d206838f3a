//! RPM's BerkeleyDB package database (`Packages`: RHEL and CentOS 5 to 8, Amazon Linux 2,
//! older SUSE): a BerkeleyDB hash database whose values are the package headers.
//!
//! Page 0 is the hash metadata page (magic `0x061561`, page size, last page number). Hash
//! pages (type 13, or 2 before BerkeleyDB 4.6) hold key/value pairs as in-page offsets; the
//! values, rpm headers being far bigger than a page, are `H_OFFPAGE` items naming the first
//! page of a chain of overflow pages (type 7) that carries the bytes. Only those values are
//! read, in page order, as go-rpmdb reads them; keys and rpm's index databases are not.
//! The file is little- or big-endian as the machine that wrote it (an s390x image's is
//! big-endian); the magic number says which.
//!
//! The bytes come from an image: every page number, offset and length is checked, each
//! overflow page is read at most once (a chain that loops or is shared stops there), so the
//! headers returned never add up to more than the file.

use super::rpm::MAX_PACKAGES;

const HASH_MAGIC: u32 = 0x0006_1561;
/// Every page starts with the same 26-byte header.
const PAGE_HEADER: usize = 26;
/// Bytes of the metadata page kaudit reads (through the last page number).
const METADATA_BYTES: usize = 36;

const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_HASH_METADATA: u8 = 8;
const PAGE_HASH: u8 = 13;

/// A hash item kept off the page: type, 3 bytes of padding, first page, total length.
const ITEM_OFFPAGE: u8 = 3;
const OFFPAGE_ITEM_BYTES: usize = 12;

/// The package headers of a BerkeleyDB `Packages` file's bytes, in page order. A value
/// whose overflow chain is broken (a page out of the file, not an overflow page, already
/// read) is returned empty, so the caller counts it as an unreadable header.
pub fn header_blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let db = Db::open(bytes)?;
    let mut read = vec![false; db.pages];
    let mut blobs = Vec::new();
    for number in 0..db.pages {
        let page = db.page(number).ok_or("a page past the file's end")?;
        if !matches!(page[25], PAGE_HASH | PAGE_HASH_UNSORTED) {
            continue;
        }
        let entries = usize::from(db.u16(page, 20));
        if entries % 2 != 0 {
            return Err(format!(
                "page {number}: {entries} hash entries, not key/value pairs"
            ));
        }
        let index = page
            .get(PAGE_HEADER..PAGE_HEADER + entries * 2)
            .ok_or_else(|| format!("page {number}: its index runs past the page"))?;
        // Entries alternate key, value: the values are the odd ones.
        for value in index.chunks_exact(4) {
            let offset = usize::from(db.u16(value, 2));
            let blob = match page.get(offset) {
                Some(&ITEM_OFFPAGE) => page
                    .get(offset..offset + OFFPAGE_ITEM_BYTES)
                    .and_then(|item| db.chain(db.u32(item, 4), &mut read)),
                // An on-page value is not a package header (rpm's never fit a page).
                Some(_) => continue,
                None => None,
            };
            blobs.push(blob.unwrap_or_default());
            if blobs.len() > MAX_PACKAGES {
                return Err(format!("more than {MAX_PACKAGES} packages"));
            }
        }
    }
    Ok(blobs)
}

/// An opened file: its pages and byte order.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    /// Pages 0 to the metadata's last page number, all within the file.
    pages: usize,
    big_endian: bool,
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, String> {
        let meta = bytes
            .get(..METADATA_BYTES)
            .ok_or("not a BerkeleyDB database: shorter than its metadata page")?;
        let magic = u32::from_le_bytes([meta[12], meta[13], meta[14], meta[15]]);
        let big_endian = if magic == HASH_MAGIC {
            false
        } else if magic == HASH_MAGIC.swap_bytes() {
            true
        } else {
            return Err(format!(
                "not a BerkeleyDB hash database (magic {magic:#010x})"
            ));
        };
        let mut db = Db {
            bytes,
            page_size: 0,
            pages: 0,
            big_endian,
        };
        if meta[24] != 0 {
            return Err("an encrypted BerkeleyDB database".into());
        }
        if meta[25] != PAGE_HASH_METADATA {
            return Err(format!(
                "not a BerkeleyDB hash database (metadata page type {})",
                meta[25]
            ));
        }
        let page_size = db.u32(meta, 20);
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("unexpected BerkeleyDB page size {page_size}"));
        }
        db.page_size = page_size as usize;
        let last = db.u32(meta, 32) as usize;
        let in_file = bytes.len() / db.page_size;
        if last >= in_file {
            return Err(format!(
                "truncated: its metadata names page {last}, the file holds {in_file} pages of {page_size} bytes"
            ));
        }
        db.pages = last + 1;
        Ok(db)
    }

    /// Page `number`, whole; `None` past the last page.
    fn page(&self, number: usize) -> Option<&'a [u8]> {
        if number >= self.pages {
            return None;
        }
        let start = number * self.page_size;
        self.bytes.get(start..start + self.page_size)
    }

    /// The bytes of the overflow chain starting at page `first`; `None` when it breaks.
    /// `read` marks the overflow pages already taken: each belongs to one value, so a page
    /// met twice is a loop or a chain shared to repeat its bytes.
    fn chain(&self, first: u32, read: &mut [bool]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut number = first as usize;
        while number != 0 {
            let seen = read.get_mut(number)?;
            if *seen {
                return None;
            }
            *seen = true;
            let page = self.page(number)?;
            if page[25] != PAGE_OVERFLOW {
                return None;
            }
            let next = self.u32(page, 16);
            // The last page says how many of its bytes are used; the others are full.
            let data = if next == 0 {
                let used = usize::from(self.u16(page, 22));
                page.get(PAGE_HEADER..PAGE_HEADER + used)?
            } else {
                &page[PAGE_HEADER..]
            };
            out.extend_from_slice(data);
            number = next as usize;
        }
        Some(out)
    }

    /// The 16-bit word at `at` (callers pass offsets inside `bytes`).
    fn u16(&self, bytes: &[u8], at: usize) -> u16 {
        let word = [bytes[at], bytes[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(word)
        } else {
            u16::from_le_bytes(word)
        }
    }

    /// The 32-bit word at `at` (callers pass offsets inside `bytes`).
    fn u32(&self, bytes: &[u8], at: usize) -> u32 {
        let word = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal BerkeleyDB hash file as rpm writes one: the metadata page, one hash page
    /// of (package number, header) pairs, each header in its own overflow chain.
    pub(crate) fn write(blobs: &[Vec<u8>], page_size: usize, big_endian: bool) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
        let mut hash = vec![0u8; page_size];
        let mut low = page_size;
        let mut index = Vec::new();
        for (i, blob) in blobs.iter().enumerate() {
            // The chain: full pages but the last, which says how much of it is used (no
            // chain at all for an empty header: page 0 ends it at once).
            let first = if blob.is_empty() {
                0
            } else {
                pages.len() as u32
            };
            let chunks: Vec<&[u8]> = blob.chunks(page_size - PAGE_HEADER).collect();
            for (n, chunk) in chunks.iter().enumerate() {
                let mut page = vec![0u8; page_size];
                let number = pages.len() as u32;
                page[8..12].copy_from_slice(&u32b(number));
                let next = if n + 1 < chunks.len() { number + 1 } else { 0 };
                page[16..20].copy_from_slice(&u32b(next));
                page[22..24].copy_from_slice(&u16b(chunk.len() as u16));
                page[25] = PAGE_OVERFLOW;
                page[PAGE_HEADER..PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
                pages.push(page);
            }
            // The key: an on-page item holding the package number.
            low -= 5;
            hash[low] = 1;
            hash[low + 1..low + 5].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            index.push(low as u16);
            // The value: off-page.
            low -= OFFPAGE_ITEM_BYTES;
            hash[low] = ITEM_OFFPAGE;
            hash[low + 4..low + 8].copy_from_slice(&u32b(first));
            hash[low + 8..low + 12].copy_from_slice(&u32b(blob.len() as u32));
            index.push(low as u16);
        }
        assert!(
            PAGE_HEADER + index.len() * 2 <= low,
            "one hash page holds them"
        );
        for (n, offset) in index.iter().enumerate() {
            hash[PAGE_HEADER + n * 2..PAGE_HEADER + n * 2 + 2].copy_from_slice(&u16b(*offset));
        }
        hash[8..12].copy_from_slice(&u32b(1));
        hash[20..22].copy_from_slice(&u16b(index.len() as u16));
        hash[22..24].copy_from_slice(&u16b(low as u16));
        hash[25] = PAGE_HASH;
        pages[1] = hash;
        let last = pages.len() as u32 - 1;
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&u32b(HASH_MAGIC));
        meta[16..20].copy_from_slice(&u32b(9));
        meta[20..24].copy_from_slice(&u32b(page_size as u32));
        meta[25] = PAGE_HASH_METADATA;
        meta[32..36].copy_from_slice(&u32b(last));
        pages.concat()
    }

    fn sample() -> Vec<Vec<u8>> {
        // One header over several 512-byte pages, one that fits a page, one exactly a page.
        vec![
            (0..1500u32).map(|i| i as u8).collect(),
            b"small".to_vec(),
            vec![7; 512 - PAGE_HEADER],
        ]
    }

    /// Overwrites the 32-bit word at `at` in the file's byte order.
    fn set_u32(file: &mut [u8], at: usize, value: u32, big_endian: bool) {
        let bytes = if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        };
        file[at..at + 4].copy_from_slice(&bytes);
    }

    #[test]
    fn both_byte_orders_read_back_every_header() {
        for big_endian in [false, true] {
            for page_size in [512, 4096] {
                let blobs = sample();
                let file = write(&blobs, page_size, big_endian);
                assert_eq!(
                    header_blobs(&file).unwrap(),
                    blobs,
                    "{page_size} {big_endian}"
                );
            }
        }
    }

    #[test]
    fn what_is_not_a_hash_database_is_refused_by_name() {
        for garbage in [&b""[..], b"not a database at all", &[0u8; 4096]] {
            let err = header_blobs(garbage).unwrap_err();
            assert!(err.contains("not a BerkeleyDB"), "{err}");
        }
        let mut file = write(&sample(), 512, false);
        file[25] = 9; // a btree's metadata page
        assert!(header_blobs(&file).unwrap_err().contains("hash database"));
        let mut file = write(&sample(), 512, false);
        set_u32(&mut file, 20, 1000, false);
        assert!(header_blobs(&file).unwrap_err().contains("page size"));
        let mut file = write(&sample(), 512, false);
        file[24] = 1;
        assert!(header_blobs(&file).unwrap_err().contains("encrypted"));
    }

    #[test]
    fn a_truncated_file_says_so() {
        let file = write(&sample(), 512, false);
        for cut in [40, 511, 512, 1024, file.len() - 1] {
            let err = header_blobs(&file[..cut]).unwrap_err();
            assert!(err.contains("truncated"), "{cut}: {err}");
        }
        let mut file = write(&sample(), 512, true);
        set_u32(&mut file, 32, u32::MAX, true);
        assert!(header_blobs(&file).unwrap_err().contains("truncated"));
    }

    #[test]
    fn looping_and_shared_chains_end_and_count_as_unreadable() {
        // The first header's chain is pages 2 to 5: point page 5 back at page 2.
        let mut file = write(&sample(), 512, false);
        set_u32(&mut file, 5 * 512 + 16, 2, false);
        let blobs = header_blobs(&file).unwrap();
        assert_eq!(blobs.len(), 3);
        assert!(blobs[0].is_empty());
        assert_eq!(blobs[1], b"small");
        // A page pointing at itself (the second header's, page 6).
        let mut file = write(&sample(), 512, true);
        set_u32(&mut file, 6 * 512 + 16, 6, true);
        assert!(header_blobs(&file).unwrap()[1].is_empty());
        // Every value pointing at the same chain: read once, not once per value.
        let mut file = write(&sample(), 512, false);
        let hash = &file[512..1024];
        let values: Vec<usize> = (0..3)
            .map(|i| usize::from(u16::from_le_bytes([hash[28 + i * 4], hash[29 + i * 4]])))
            .collect();
        for offset in values {
            set_u32(&mut file, 512 + offset + 4, 2, false);
        }
        let blobs = header_blobs(&file).unwrap();
        assert_eq!(blobs[0], sample()[0]);
        assert!(blobs[1].is_empty() && blobs[2].is_empty());
    }

    #[test]
    fn broken_chains_and_indexes_are_refused_not_read_past() {
        // A chain cut short (0 ends it), into the hash page, past the last page.
        for target in [0u32, 1, 99, u32::MAX] {
            let mut file = write(&sample(), 512, false);
            set_u32(&mut file, 2 * 512 + 16, target, false);
            let blobs = header_blobs(&file).unwrap();
            assert!(blobs[0].is_empty() || target == 0, "{target}");
        }
        // A last page claiming more bytes than it has.
        let mut file = write(&sample(), 512, false);
        file[6 * 512 + 22..6 * 512 + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(header_blobs(&file).unwrap()[1].is_empty());
        // An index longer than the page, an odd entry count, a value offset past the page.
        let mut file = write(&sample(), 512, false);
        file[512 + 20..512 + 22].copy_from_slice(&1000u16.to_le_bytes());
        assert!(header_blobs(&file).unwrap_err().contains("past the page"));
        let mut file = write(&sample(), 512, false);
        file[512 + 20..512 + 22].copy_from_slice(&5u16.to_le_bytes());
        assert!(header_blobs(&file).unwrap_err().contains("pairs"));
        let mut file = write(&sample(), 512, false);
        file[512 + 28..512 + 30].copy_from_slice(&60000u16.to_le_bytes());
        assert!(header_blobs(&file).unwrap()[0].is_empty());
    }

    #[test]
    fn no_single_damaged_byte_makes_it_panic_or_grow() {
        for big_endian in [false, true] {
            let file = write(&sample(), 512, big_endian);
            for at in 0..file.len() {
                for value in [0x00, 0x01, 0x07, 0x0d, 0xff] {
                    let mut damaged = file.clone();
                    damaged[at] = value;
                    if let Ok(blobs) = header_blobs(&damaged) {
                        let total: usize = blobs.iter().map(Vec::len).sum();
                        assert!(total <= damaged.len());
                    }
                }
            }
        }
    }
}
