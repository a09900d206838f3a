//! RPM's NDB package database (`Packages.db`: SUSE since SLE 15 SP3 and openSUSE), rpm's
//! own format (`lib/backend/ndb/rpmpkg.c`), all little-endian:
//!
//! - a 32-byte header: magic `RpmP`, version 0, generation, the number of slot pages;
//! - slot pages of 4096 bytes from the start of the file (the header takes the first two
//!   slots' room), 16-byte slots: magic `Slot`, package number (0: free), the blob's offset
//!   and length in 16-byte blocks;
//! - at each used slot's offset a blob: a 16-byte head (magic `BlbS`, package number,
//!   Adler-32 checksum, length), then the header itself.
//!
//! Like go-rpmdb, kaudit does not verify the checksum. The bytes come from an image: every
//! offset and length is checked against the file and the slot, and the headers returned
//! never add up to more than the file (blobs made to overlap would repeat it).

use super::rpm::MAX_PACKAGES;

const HEADER_BYTES: usize = 32;
const SLOT_PAGE_BYTES: usize = 4096;
const SLOT_BYTES: usize = 16;
const BLOCK_BYTES: usize = 16;
const BLOB_HEAD_BYTES: usize = 16;
/// rpm never makes more; go-rpmdb refuses more too (2048 pages: 524,286 slots).
const MAX_SLOT_PAGES: usize = 2048;

/// The package headers of an NDB `Packages.db` file's bytes, in slot order. A used slot
/// whose blob is not where it says (no `BlbS` head, another package's, longer than its
/// blocks or the file) is returned empty, so the caller counts it as an unreadable header.
pub fn header_blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let head = bytes
        .get(..HEADER_BYTES)
        .ok_or("not an NDB database: shorter than its header")?;
    if &head[..4] != b"RpmP" {
        return Err("not an NDB database (no RpmP magic)".into());
    }
    let version = word(head, 4);
    if version != 0 {
        return Err(format!("unknown NDB version {version}"));
    }
    let slot_pages = word(head, 12) as usize;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(format!("{slot_pages} slot pages"));
    }
    let slots = bytes
        .get(HEADER_BYTES..slot_pages * SLOT_PAGE_BYTES)
        .ok_or_else(|| format!("truncated: {slot_pages} slot pages announced"))?;
    let mut blobs = Vec::new();
    let mut total = 0usize;
    for (n, slot) in slots.chunks_exact(SLOT_BYTES).enumerate() {
        if &slot[..4] != b"Slot" {
            return Err(format!("slot {n} is damaged (no Slot magic)"));
        }
        let package = word(slot, 4);
        if package == 0 {
            continue;
        }
        let blob = blob(bytes, package, word(slot, 8), word(slot, 12)).unwrap_or_default();
        total += blob.len();
        if total > bytes.len() {
            return Err("its blobs overlap (more header bytes than the file holds)".into());
        }
        blobs.push(blob.to_vec());
        if blobs.len() > MAX_PACKAGES {
            return Err(format!("more than {MAX_PACKAGES} packages"));
        }
    }
    Ok(blobs)
}

/// Package `package`'s header, from the blob `blocks` 16-byte blocks long at block
/// `offset`; `None` when the blob is not there or does not fit.
fn blob(bytes: &[u8], package: u32, offset: u32, blocks: u32) -> Option<&[u8]> {
    let start = (offset as usize).checked_mul(BLOCK_BYTES)?;
    let room = (blocks as usize).checked_mul(BLOCK_BYTES)?;
    let head = bytes.get(start..start.checked_add(BLOB_HEAD_BYTES)?)?;
    if &head[..4] != b"BlbS" || word(head, 4) != package {
        return None;
    }
    let length = word(head, 12) as usize;
    if BLOB_HEAD_BYTES.checked_add(length)? > room {
        return None;
    }
    let data = start + BLOB_HEAD_BYTES;
    bytes.get(data..data.checked_add(length)?)
}

/// The little-endian word at `at` (callers pass offsets inside `bytes`).
fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal NDB file as rpm writes one: the header, one slot page with a slot per
    /// header (packages 1, 2, ...), the rest free, then each blob with its 12-byte tail.
    pub(crate) fn write(blobs: &[Vec<u8>]) -> Vec<u8> {
        let mut file = vec![0u8; SLOT_PAGE_BYTES];
        file[..4].copy_from_slice(b"RpmP");
        file[8..12].copy_from_slice(&1u32.to_le_bytes());
        file[12..16].copy_from_slice(&1u32.to_le_bytes());
        for slot in file[HEADER_BYTES..].chunks_exact_mut(SLOT_BYTES) {
            slot[..4].copy_from_slice(b"Slot");
        }
        for (i, blob) in blobs.iter().enumerate() {
            let package = i as u32 + 1;
            let start = file.len();
            let blocks = (BLOB_HEAD_BYTES + blob.len() + 12).div_ceil(BLOCK_BYTES);
            let slot = HEADER_BYTES + i * SLOT_BYTES;
            let offset = (start / BLOCK_BYTES) as u32;
            for (at, value) in [(4, package), (8, offset), (12, blocks as u32)] {
                file[slot + at..slot + at + 4].copy_from_slice(&value.to_le_bytes());
            }
            file.extend_from_slice(b"BlbS");
            file.extend_from_slice(&package.to_le_bytes());
            file.extend_from_slice(&0u32.to_le_bytes());
            file.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            file.extend_from_slice(blob);
            file.resize(start + blocks * BLOCK_BYTES, 0);
        }
        file
    }

    fn sample() -> Vec<Vec<u8>> {
        vec![b"first header".to_vec(), vec![], vec![9; 5000]]
    }

    fn slot_word(file: &mut [u8], slot: usize, at: usize, value: u32) {
        let at = HEADER_BYTES + slot * SLOT_BYTES + at;
        file[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn every_used_slot_reads_back_its_header() {
        let blobs = sample();
        assert_eq!(header_blobs(&write(&blobs)).unwrap(), blobs);
        // A freed slot is skipped.
        let mut file = write(&blobs);
        slot_word(&mut file, 0, 4, 0);
        assert_eq!(header_blobs(&file).unwrap(), blobs[1..]);
    }

    #[test]
    fn what_is_not_an_ndb_database_is_refused_by_name() {
        for garbage in [&b""[..], b"not a database at all, no", &[0u8; 4096]] {
            let err = header_blobs(garbage).unwrap_err();
            assert!(err.contains("not an NDB"), "{err}");
        }
        let mut file = write(&sample());
        file[4] = 1;
        assert!(header_blobs(&file).unwrap_err().contains("version"));
        for pages in [0u32, 2049, u32::MAX] {
            let mut file = write(&sample());
            file[12..16].copy_from_slice(&pages.to_le_bytes());
            assert!(header_blobs(&file).unwrap_err().contains("slot pages"));
        }
        let mut file = write(&sample());
        file[HEADER_BYTES + 5 * SLOT_BYTES] = b'X';
        assert!(header_blobs(&file).unwrap_err().contains("slot 5"));
    }

    #[test]
    fn a_truncated_file_says_so_or_loses_only_the_cut_headers() {
        let file = write(&sample());
        for cut in [31, 100, 4095] {
            assert!(header_blobs(&file[..cut]).is_err(), "{cut}");
        }
        let blobs = header_blobs(&file[..file.len() - 100]).unwrap();
        assert_eq!(blobs[..2], sample()[..2]);
        assert!(blobs[2].is_empty());
    }

    #[test]
    fn misplaced_and_overlapping_blobs_are_not_read() {
        // Past the file, an offset that overflows, into the slot page, another package's.
        for offset in [u32::MAX, 0x1000_0000, 3] {
            let mut file = write(&sample());
            slot_word(&mut file, 0, 8, offset);
            assert!(header_blobs(&file).unwrap()[0].is_empty(), "{offset:#x}");
        }
        let mut file = write(&sample());
        slot_word(&mut file, 0, 4, 3);
        assert!(header_blobs(&file).unwrap()[0].is_empty());
        // A blob longer than its slot's blocks.
        let mut file = write(&sample());
        slot_word(&mut file, 2, 12, 2);
        assert!(header_blobs(&file).unwrap()[2].is_empty());
        // Every slot of the page naming the big blob: refused once it adds up past the file.
        let mut file = write(&sample());
        let big = file[HEADER_BYTES + 2 * SLOT_BYTES..HEADER_BYTES + 3 * SLOT_BYTES].to_vec();
        for slot in file[HEADER_BYTES..SLOT_PAGE_BYTES].chunks_exact_mut(SLOT_BYTES) {
            slot.copy_from_slice(&big);
        }
        assert!(header_blobs(&file).unwrap_err().contains("overlap"));
    }

    #[test]
    fn no_single_damaged_byte_makes_it_panic_or_grow() {
        let file = write(&sample());
        for at in (0..file.len()).filter(|at| *at < 128 || *at >= SLOT_PAGE_BYTES) {
            for value in [0x00, 0x01, 0x80, 0xff] {
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
