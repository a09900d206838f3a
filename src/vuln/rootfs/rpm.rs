//! RPM's package database in its three forms, told apart by their first bytes (go-rpmdb
//! tries each form in turn), so a file is read for what it is, whatever its name:
//!
//! - SQLite (`rpmdb.sqlite`: Fedora 33+, RHEL/Rocky/Alma 9, Amazon Linux 2023): one row per
//!   package in `Packages`, its `blob` an RPM header;
//! - BerkeleyDB (`Packages`: RHEL/CentOS 5 to 8, Amazon Linux 2), see [`super::rpm_bdb`];
//! - NDB (`Packages.db`: SUSE), see [`super::rpm_ndb`].
//!
//! Each gives header blobs, and kaudit reads a header's tag index itself (a few tags: name,
//! epoch, version, release, arch, source RPM, modularity label), each entry checked against
//! the blob's bounds.
//!
//! The SQLite database is opened from memory (read-only), so a file from an image is never
//! handed to SQLite by path and nothing is written beside it.

use crate::vuln::Package;

/// rpm refuses headers over 256 MiB (`headerMaxbytes`); no real one comes near.
const MAX_HEADER_BYTES: usize = 256 << 20;
/// Headers read at most: a real system has a few thousand packages.
pub(super) const MAX_PACKAGES: usize = 200_000;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_I18NSTRING: u32 = 9;

/// The installed packages of an RPM database's bytes, whichever of the three forms it is.
pub fn parse_database(bytes: &[u8]) -> Result<Vec<Package>, String> {
    if bytes.starts_with(b"SQLite format 3\0") {
        parse_sqlite(bytes)
    } else if bytes.starts_with(b"RpmP") {
        parse_ndb(bytes)
    } else if bytes.get(12..16).is_some_and(|magic| {
        // BerkeleyDB's hash magic, in either byte order.
        magic == [0x61, 0x15, 0x06, 0x00] || magic == [0x00, 0x06, 0x15, 0x61]
    }) {
        parse_bdb(bytes)
    } else {
        Err("not an RPM database (neither SQLite, BerkeleyDB hash nor NDB)".into())
    }
}

/// The installed packages of a BerkeleyDB `Packages` file's bytes.
pub fn parse_bdb(bytes: &[u8]) -> Result<Vec<Package>, String> {
    from_headers(super::rpm_bdb::header_blobs(bytes)?.into_iter().map(Ok))
}

/// The installed packages of an NDB `Packages.db` file's bytes.
pub fn parse_ndb(bytes: &[u8]) -> Result<Vec<Package>, String> {
    from_headers(super::rpm_ndb::header_blobs(bytes)?.into_iter().map(Ok))
}

/// The installed packages of an `rpmdb.sqlite` file's bytes.
pub fn parse_sqlite(bytes: &[u8]) -> Result<Vec<Package>, String> {
    // rpm keeps its database in WAL mode (header bytes 18 and 19 are 2), which SQLite cannot
    // open from memory; marked as a rollback-journal file it reads the same pages.
    let mut bytes = bytes.to_vec();
    if bytes.starts_with(b"SQLite format 3\0") && bytes.len() > 19 {
        bytes[18] = bytes[18].min(1);
        bytes[19] = bytes[19].min(1);
    }
    let mut connection = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    guard(&connection).map_err(|e| e.to_string())?;
    connection
        .deserialize_read_exact(rusqlite::MAIN_DB, &bytes[..], bytes.len(), true)
        .map_err(|e| format!("not an SQLite database: {e}"))?;
    // The schema is the image's: `Packages` must be a plain table with plain columns, not
    // a view or generated columns whose SQL would run here.
    crate::vuln::sqlite::plain_table(&connection, "Packages")?;
    let mut statement = connection
        .prepare("SELECT blob FROM Packages")
        .map_err(|e| format!("no Packages table: {e}"))?;
    let rows = statement
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(|e| e.to_string())?;
    from_headers(rows.map(|row| row.map_err(|e| e.to_string())))
}

/// The packages of a database's header blobs, whatever their form: at most
/// [`MAX_PACKAGES`]; a header that does not read is skipped, unless none reads (then the
/// file is not taken for an empty database).
fn from_headers(
    blobs: impl IntoIterator<Item = Result<Vec<u8>, String>>,
) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    let mut unreadable = 0usize;
    for (n, blob) in blobs.into_iter().enumerate() {
        if n >= MAX_PACKAGES {
            return Err(format!("more than {MAX_PACKAGES} packages"));
        }
        match header(&blob?).map(package) {
            Some(Some(p)) => packages.push(p),
            Some(None) => {}
            None => unreadable += 1,
        }
    }
    if unreadable > 0 && packages.is_empty() {
        return Err(format!("{unreadable} package headers could not be read"));
    }
    Ok(packages)
}

/// SQLite set up for a file from an image; a real rpmdb needs a few hundred step calls.
fn guard(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    crate::vuln::sqlite::guard(connection, MAX_HEADER_BYTES as i32, 10_000)
}

/// The tags kaudit reads from one header.
#[derive(Debug, Default)]
struct Header {
    name: String,
    version: String,
    release: String,
    epoch: Option<u32>,
    arch: String,
    source_rpm: String,
    modularity_label: String,
}

/// Reads a header blob: `il` and `dl` (big-endian), `il` index entries of 16 bytes (tag,
/// type, offset, count), then `dl` bytes of data. `None` when it is not one.
fn header(blob: &[u8]) -> Option<Header> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(blob.get(at..at + 4)?.try_into().ok()?))
    };
    let il = word(0)? as usize;
    let dl = word(4)? as usize;
    let data_start = 8usize.checked_add(il.checked_mul(16)?)?;
    let data_end = data_start.checked_add(dl)?;
    if il == 0 || data_end > blob.len() || data_end > MAX_HEADER_BYTES {
        return None;
    }
    let data = &blob[data_start..data_end];
    let string_at = |offset: usize| -> Option<String> {
        let rest = data.get(offset..)?;
        let end = rest.iter().position(|b| *b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    };
    let mut found = Header::default();
    for i in 0..il {
        let at = 8 + i * 16;
        let (tag, kind, offset) = (word(at)?, word(at + 4)?, word(at + 8)? as usize);
        let text = || match kind {
            TYPE_STRING | TYPE_I18NSTRING => string_at(offset),
            _ => None,
        };
        match tag {
            TAG_NAME => found.name = text()?,
            TAG_VERSION => found.version = text()?,
            TAG_RELEASE => found.release = text()?,
            TAG_ARCH => found.arch = text().unwrap_or_default(),
            TAG_SOURCERPM => found.source_rpm = text().unwrap_or_default(),
            TAG_MODULARITYLABEL => found.modularity_label = text().unwrap_or_default(),
            TAG_EPOCH if kind == TYPE_INT32 => {
                let bytes = data.get(offset..offset + 4)?;
                found.epoch = Some(u32::from_be_bytes(bytes.try_into().ok()?));
            }
            _ => {}
        }
    }
    Some(found)
}

/// A header as Trivy's rpm analyzer lists it: `epoch:version-release` (no epoch when it is
/// 0), the source package from the source RPM's file name with the binary's epoch.
fn package(h: Header) -> Option<Package> {
    if h.name.is_empty() || h.version.is_empty() {
        return None;
    }
    let epoch = h.epoch.unwrap_or(0);
    let evr = |version: &str, release: &str| {
        let vr = if release.is_empty() {
            version.to_string()
        } else {
            format!("{version}-{release}")
        };
        if epoch > 0 {
            format!("{epoch}:{vr}")
        } else {
            vr
        }
    };
    let (source_name, source_version) = match split_source_rpm(&h.source_rpm) {
        Some((name, version, release)) => (name.to_string(), evr(version, release)),
        None => (String::new(), String::new()),
    };
    Some(Package {
        version: evr(&h.version, &h.release),
        name: h.name,
        source_name,
        source_version,
        arch: if h.arch.is_empty() {
            "None".into()
        } else {
            h.arch
        },
        modularity_label: h.modularity_label,
        ..Package::default()
    })
}

/// `bash-4.4.19-10.el8.src.rpm` → (`bash`, `4.4.19`, `10.el8`), as Trivy splits it.
fn split_source_rpm(file: &str) -> Option<(&str, &str, &str)> {
    if file.is_empty() || file == "(none)" {
        return None;
    }
    let file = file.strip_suffix(".rpm").unwrap_or(file);
    let arch = file.rfind('.')?;
    let release = file[..arch].rfind('-')?;
    let version = file[..release].rfind('-')?;
    Some((
        &file[..version],
        &file[version + 1..release],
        &file[release + 1..arch],
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header blob with the given (tag, type, value) entries.
    pub fn blob(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, value) in entries {
            for word in [*tag, *kind, data.len() as u32, 1] {
                index.extend_from_slice(&word.to_be_bytes());
            }
            data.extend_from_slice(value);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    /// The header of an installed package, its source RPM named after it.
    pub(crate) fn package_blob(name: &str, version: &str, release: &str, arch: &str) -> Vec<u8> {
        let z = |s: &str| format!("{s}\0").into_bytes();
        blob(&[
            (TAG_NAME, TYPE_STRING, &z(name)),
            (TAG_VERSION, TYPE_STRING, &z(version)),
            (TAG_RELEASE, TYPE_STRING, &z(release)),
            (TAG_ARCH, TYPE_STRING, &z(arch)),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                &z(&format!("{name}-{version}-{release}.src.rpm")),
            ),
        ])
    }

    /// What a user sees of a package list: name, version, arch.
    fn listed(packages: &[Package]) -> Vec<String> {
        packages
            .iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.arch))
            .collect()
    }

    fn installed() -> Vec<Vec<u8>> {
        let mut openssl = blob(&[
            (TAG_NAME, TYPE_STRING, b"openssl-libs\0"),
            (TAG_EPOCH, TYPE_INT32, &1u32.to_be_bytes()),
            (TAG_VERSION, TYPE_STRING, b"1.0.2k\0"),
            (TAG_RELEASE, TYPE_STRING, b"26.el7_9\0"),
            (TAG_ARCH, TYPE_STRING, b"x86_64\0"),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                b"openssl-1.0.2k-26.el7_9.src.rpm\0",
            ),
        ]);
        // Padded as rpm pads its headers' data: trailing bytes are not read.
        openssl.extend_from_slice(&[0; 3]);
        vec![
            package_blob("bash", "4.2.46", "35.el7_9", "x86_64"),
            openssl,
            // Big enough to span many overflow pages and NDB blocks.
            blob(&[
                (TAG_NAME, TYPE_STRING, b"tzdata\0"),
                (TAG_VERSION, TYPE_STRING, b"2024a\0"),
                (TAG_RELEASE, TYPE_STRING, b"1.el7\0"),
                (TAG_ARCH, TYPE_STRING, b"noarch\0"),
                (1004, TYPE_STRING, &[b'x'; 20_000]),
            ]),
        ]
    }

    #[test]
    fn berkeleydb_and_ndb_databases_list_their_packages() {
        let want = [
            "bash 4.2.46-35.el7_9 x86_64",
            "openssl-libs 1:1.0.2k-26.el7_9 x86_64",
            "tzdata 2024a-1.el7 noarch",
        ];
        let files = [
            (
                "bdb",
                super::super::rpm_bdb::tests::write(&installed(), 4096, false),
            ),
            (
                "bdb s390x",
                super::super::rpm_bdb::tests::write(&installed(), 512, true),
            ),
            ("ndb", super::super::rpm_ndb::tests::write(&installed())),
        ];
        for (kind, file) in files {
            let packages = parse_database(&file).unwrap();
            assert_eq!(listed(&packages), want, "{kind}");
            assert_eq!(
                (
                    packages[1].source_name.as_str(),
                    packages[1].source_version.as_str()
                ),
                ("openssl", "1:1.0.2k-26.el7_9"),
                "{kind}"
            );
        }
        assert_eq!(
            listed(
                &parse_bdb(&super::super::rpm_bdb::tests::write(
                    &installed(),
                    1024,
                    false
                ))
                .unwrap()
            ),
            want
        );
        assert_eq!(
            listed(&parse_ndb(&super::super::rpm_ndb::tests::write(&installed())).unwrap()),
            want
        );
    }

    #[test]
    fn databases_of_garbage_headers_or_no_database_are_refused() {
        let garbage = vec![vec![0xff; 64], b"not a header".to_vec()];
        for file in [
            super::super::rpm_bdb::tests::write(&garbage, 512, false),
            super::super::rpm_ndb::tests::write(&garbage),
        ] {
            let err = parse_database(&file).unwrap_err();
            assert!(err.contains("2 package headers could not be read"), "{err}");
        }
        // One damaged header among good ones: the others are still listed.
        let mut mixed = installed();
        mixed.insert(1, b"damaged".to_vec());
        let packages = parse_database(&super::super::rpm_ndb::tests::write(&mixed)).unwrap();
        assert_eq!(packages.len(), 3);
        for bytes in [&b""[..], b"hello", &[0u8; 8192]] {
            let err = parse_database(bytes).unwrap_err();
            assert!(err.contains("not an RPM database"), "{err}");
        }
        // Named by its magic but not one inside.
        let mut fake = vec![0u8; 600];
        fake[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
        assert!(parse_database(&fake).unwrap_err().contains("BerkeleyDB"));
        assert!(parse_database(b"RpmP").unwrap_err().contains("NDB"));
    }

    #[test]
    fn headers_become_packages_as_trivy_lists_them() {
        let h = header(&blob(&[
            (TAG_NAME, TYPE_STRING, b"openssl-libs\0"),
            (TAG_EPOCH, TYPE_INT32, &1u32.to_be_bytes()),
            (TAG_VERSION, TYPE_STRING, b"1.1.1k\0"),
            (TAG_RELEASE, TYPE_STRING, b"4.el8\0"),
            (TAG_ARCH, TYPE_STRING, b"x86_64\0"),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                b"openssl-1.1.1k-4.el8.src.rpm\0",
            ),
        ]))
        .unwrap();
        let p = package(h).unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.arch.as_str()),
            ("openssl-libs", "1:1.1.1k-4.el8", "x86_64")
        );
        assert_eq!(
            (p.source_name.as_str(), p.source_version.as_str()),
            ("openssl", "1:1.1.1k-4.el8")
        );
    }

    #[test]
    fn a_crafted_database_runs_none_of_its_own_sql() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        let db = rusqlite::Connection::open(&path).unwrap();
        // `Packages` as a view that never ends.
        db.execute_batch(
            "CREATE VIEW Packages AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n) SELECT zeroblob(1000) AS blob FROM n;",
        )
        .unwrap();
        drop(db);
        let err = parse_sqlite(&std::fs::read(&path).unwrap()).unwrap_err();
        assert!(err.contains("no Packages table"), "{err}");
        assert!(parse_sqlite(b"not sqlite at all").is_err());
    }

    #[test]
    fn lying_headers_are_refused_not_read_past_their_end() {
        let mut b = blob(&[(TAG_NAME, TYPE_STRING, b"bash\0")]);
        // An offset far past the data.
        b[16..20].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(header(&b).is_none());
        // More index entries than the blob holds.
        let mut b = blob(&[(TAG_NAME, TYPE_STRING, b"bash\0")]);
        b[0..4].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        assert!(header(&b).is_none());
        // A string without its terminator.
        assert!(header(&blob(&[(TAG_NAME, TYPE_STRING, b"bash")])).is_none());
        assert!(header(&[0, 0]).is_none());
        assert_eq!(split_source_rpm("(none)"), None);
        assert_eq!(split_source_rpm("noversion.src.rpm"), None);
    }
}
