//! What an image's root filesystem says about itself: its OS release and its installed
//! OS packages (dpkg, apk, rpm), read the way Trivy's analyzers read them. Only the few files that
//! matter are opened, each with a size cap; a link is never followed out of the root.
//!
//! The files come through [`Files`]: an unpacked folder ([`Dir`]) or an image's layers
//! merged in memory (`vuln::image`).

pub mod apk;
pub mod buildinfo;
pub mod dpkg;
pub mod gobinary;
pub mod jar;
pub mod lang;
pub mod release;
pub mod rpm;
pub mod rpm_bdb;
pub mod rpm_ndb;

use super::{Os, Package};
use std::path::{Component, Path, PathBuf};

/// A file of the image is read up to this size (the biggest dpkg status files are a few
/// MiB)...
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// ...but an RPM database: BerkeleyDB `Packages` files of full RHEL systems pass 100 MiB.
pub const MAX_RPMDB_BYTES: u64 = 256 << 20;

/// How much of the image's file at `path` is read at most.
pub fn max_file_bytes(path: &str) -> u64 {
    if PACKAGE_DATABASES[3..].contains(&path) {
        MAX_RPMDB_BYTES
    } else {
        MAX_FILE_BYTES
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {message}", path.display())]
    Read { path: PathBuf, message: String },
}

/// The OS and packages of a root filesystem, with what could not be read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Contents {
    pub os: Os,
    pub packages: Vec<Package>,
    /// Package databases found but not read (a damaged rpm database, say), or read with errors.
    pub notes: Vec<String>,
    /// Python, Node.js and Go packages.
    #[serde(default)]
    pub languages: Vec<crate::vuln::language::LangPackage>,
    /// Java archives, named as packages when matched (the Java DB is asked then).
    #[serde(default)]
    pub jars: Vec<jar::JarFacts>,
}

/// Where the analyzers read an image's files: paths are relative to the image's root
/// (`etc/os-release`), `None` when the file or folder is not there.
pub trait Files {
    fn read_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, Error>;
    /// A text file (package databases, release files), invalid UTF-8 replaced.
    fn read(&self, path: &str) -> Result<Option<String>, Error> {
        Ok(self
            .read_bytes(path)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
    /// The names in a folder, sorted.
    fn list(&self, dir: &str) -> Result<Option<Vec<String>>, Error>;
    /// Every regular file whose path `matching` accepts (language package files).
    fn find(&self, matching: &dyn Fn(&str) -> bool) -> Result<Vec<String>, Error>;
    /// Go executables: their paths and build information (see `gobinary::MARKER`).
    fn go_binaries(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        Ok(Vec::new())
    }
    /// Java archives, read (see `jar::read`).
    fn jars(&self) -> Result<Vec<jar::JarFacts>, Error> {
        Ok(Vec::new())
    }
}

/// An image's root filesystem unpacked in a folder.
pub struct Dir<'a>(pub &'a Path);

impl Files for Dir<'_> {
    fn read_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        read_file(self.0, path)
    }
    fn list(&self, dir: &str) -> Result<Option<Vec<String>>, Error> {
        dir_entries(self.0, dir)
    }
    fn find(&self, matching: &dyn Fn(&str) -> bool) -> Result<Vec<String>, Error> {
        let mut found: Vec<String> = regular_files(self.0)
            .map(|(relative, _)| relative)
            .filter(|path| matching(path))
            .collect();
        found.sort();
        Ok(found)
    }
    fn go_binaries(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        use std::os::unix::fs::PermissionsExt;
        let mut found = Vec::new();
        for (relative, entry) in regular_files(self.0) {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.permissions().mode() & 0o111 == 0 || meta.len() < 1024 {
                continue;
            }
            let Ok(file) = std::fs::File::open(entry.path()) else {
                continue;
            };
            if let Ok(Some(info)) =
                gobinary::scan(&mut std::io::Read::take(file, gobinary::MAX_BINARY_BYTES))
            {
                found.push((relative, info));
            }
        }
        found.sort();
        Ok(found)
    }
    fn jars(&self) -> Result<Vec<jar::JarFacts>, Error> {
        let mut found = Vec::new();
        for (relative, entry) in regular_files(self.0).filter(|(p, _)| jar::is_archive(p)) {
            let Ok(file) = std::fs::File::open(entry.path()) else {
                continue;
            };
            let mut bytes = Vec::new();
            let read = std::io::Read::read_to_end(
                &mut std::io::Read::take(file, jar::MAX_ARCHIVE_BYTES + 1),
                &mut bytes,
            );
            found.push(match read {
                Ok(_) if bytes.len() as u64 <= jar::MAX_ARCHIVE_BYTES => {
                    jar::read(&relative, &bytes)
                }
                _ => jar::JarFacts {
                    path: relative,
                    error: Some(format!(
                        "unreadable or larger than {} MiB; not read",
                        jar::MAX_ARCHIVE_BYTES >> 20
                    )),
                    ..Default::default()
                },
            });
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }
}

/// The regular files under `root` (links not followed, at most [`MAX_WALKED`] entries
/// walked, 64 folders deep), with their paths relative to it.
fn regular_files(root: &Path) -> impl Iterator<Item = (String, walkdir::DirEntry)> + '_ {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .max_depth(64)
        .into_iter()
        .filter_map(Result::ok)
        .take(MAX_WALKED)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(move |entry| {
            let relative = entry.path().strip_prefix(root).ok()?;
            Some((relative.to_string_lossy().into_owned(), entry))
        })
}

/// Entries of an unpacked root walked at most, looking for language packages.
const MAX_WALKED: usize = 2_000_000;

/// Reads a file under `root` by its path in the image, refusing anything that would leave the
/// root (`..`, a symbolic link on the way); `None` when the file is not there.
pub fn read_file(root: &Path, path: &str) -> Result<Option<Vec<u8>>, Error> {
    let mut full = root.to_path_buf();
    for part in Path::new(path).components() {
        match part {
            Component::Normal(p) => full.push(p),
            Component::CurDir | Component::RootDir => {}
            _ => {
                return Err(Error::Read {
                    path: full,
                    message: "leaves the image's root".into(),
                });
            }
        }
        match std::fs::symlink_metadata(&full) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::Read {
                    path: full,
                    message: "is a symbolic link; not followed".into(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Read {
                    path: full,
                    message: e.to_string(),
                });
            }
        }
    }
    let fail = |message: String| Error::Read {
        path: full.clone(),
        message,
    };
    let file = std::fs::File::open(&full).map_err(|e| fail(e.to_string()))?;
    if !file.metadata().map_err(|e| fail(e.to_string()))?.is_file() {
        return Err(fail("is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, max_file_bytes(path) + 1),
        &mut bytes,
    )
    .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > max_file_bytes(path) {
        return Err(fail(format!(
            "larger than {} MiB; not read",
            max_file_bytes(path) >> 20
        )));
    }
    Ok(Some(bytes))
}

/// The OS release and installed packages of the root filesystem at `root`.
pub fn read(root: &Path) -> Result<Contents, Error> {
    read_files(&Dir(root))
}

/// The OS release and installed packages of an image's files. Without an OS release file
/// (a scratch image) the OS is empty and only language packages can be judged.
pub fn read_files(files: &dyn Files) -> Result<Contents, Error> {
    let os = release::detect(files)?.unwrap_or(Os {
        family: String::new(),
        release: String::new(),
        repository: None,
    });
    let (mut packages, notes) = packages(files)?;
    // One root: every package has its build information (an image's layers refine this).
    let build_info = buildinfo::read(files)?;
    for package in &mut packages {
        package.build_info.clone_from(&build_info);
    }
    Ok(Contents {
        os,
        packages,
        notes,
        languages: languages(files)?,
        jars: files.jars()?,
    })
}

/// The language packages of the image's files.
pub fn languages(files: &dyn Files) -> Result<Vec<crate::vuln::language::LangPackage>, Error> {
    let mut found = Vec::new();
    for path in files.find(&|p| lang::ecosystem_of(p).is_some())? {
        let (Some(ecosystem), Some(bytes)) = (lang::ecosystem_of(&path), files.read_bytes(&path)?)
        else {
            continue;
        };
        found.extend(lang::parse(ecosystem, &path, &bytes));
    }
    for (path, info) in files.go_binaries()? {
        found.extend(gobinary::packages(&path, &info));
    }
    Ok(found)
}

/// The package databases every analyzer reads, by path in the image.
pub const PACKAGE_DATABASES: [&str; 10] = [
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/share/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
];

/// The installed OS packages the files list, and notes on databases not read.
pub fn packages(files: &dyn Files) -> Result<(Vec<Package>, Vec<String>), Error> {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    if let Some(text) = files.read("var/lib/dpkg/status")? {
        found.extend(dpkg::parse(&text));
    }
    if let Some(dir) = files.list("var/lib/dpkg/status.d")? {
        // Distroless: one status file per package.
        for name in dir.iter().filter(|n| !n.ends_with(".md5sums")) {
            if let Some(text) = files.read(&format!("var/lib/dpkg/status.d/{name}"))? {
                found.extend(dpkg::parse(&text));
            }
        }
    }
    if let Some(text) = files.read("lib/apk/db/installed")? {
        found.extend(apk::parse(&text));
    }
    // Like Trivy, every RPM database present is read (an image may hold an old BerkeleyDB
    // `Packages` beside the `rpmdb.sqlite` rpm converted it to), each for the form its
    // bytes have; a package two of them list is counted once.
    let mut seen = std::collections::HashSet::new();
    for rpmdb in &PACKAGE_DATABASES[3..] {
        let read = files
            .read_bytes(rpmdb)
            .map_err(|e| e.to_string())
            .and_then(|bytes| bytes.map(|b| rpm::parse_database(&b)).transpose());
        match read {
            Ok(Some(packages)) => {
                found.extend(packages.into_iter().filter(|p| seen.insert(p.clone())));
            }
            Ok(None) => {}
            Err(e) => notes.push(format!("{rpmdb}: not read: {e}")),
        }
    }
    Ok((found, notes))
}

/// The names in a folder of the image (sorted), refusing a link.
fn dir_entries(root: &Path, path: &str) -> Result<Option<Vec<String>>, Error> {
    let full = root.join(path);
    match std::fs::symlink_metadata(&full) {
        Ok(m) if m.is_dir() => {}
        _ => return Ok(None),
    }
    let mut names: Vec<String> = std::fs::read_dir(&full)
        .map_err(|e| Error::Read {
            path: full.clone(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .take(100_000)
        .collect();
    names.sort();
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpm::tests::package_blob;

    fn put(root: &Path, path: &str, bytes: &[u8]) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }

    #[test]
    fn every_rpm_database_is_read_and_a_package_listed_twice_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let bash = package_blob("bash", "5.1.8", "9.el9", "x86_64");
        let curl = package_blob("curl", "7.76.1", "29.el9_4", "x86_64");
        let zypper = package_blob("zypper", "1.14.68", "150400.3.3.1", "x86_64");
        // rpm's conversion leaves the BerkeleyDB file beside the SQLite one it made.
        let sqlite = root.join("var/lib/rpm/rpmdb.sqlite");
        std::fs::create_dir_all(sqlite.parent().unwrap()).unwrap();
        let db = rusqlite::Connection::open(&sqlite).unwrap();
        db.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
            .unwrap();
        for blob in [&bash, &curl] {
            db.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
                .unwrap();
        }
        drop(db);
        put(
            root,
            "var/lib/rpm/Packages",
            &rpm_bdb::tests::write(&[bash.clone(), curl.clone()], 4096, false),
        );
        put(
            root,
            "usr/lib/sysimage/rpm/Packages.db",
            &rpm_ndb::tests::write(&[zypper]),
        );
        put(root, "var/lib/rpm/Packages.db", b"half a database");
        let (packages, notes) = packages(&Dir(root)).unwrap();
        let listed: Vec<String> = packages
            .iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.arch))
            .collect();
        assert_eq!(
            listed,
            [
                "bash 5.1.8-9.el9 x86_64",
                "curl 7.76.1-29.el9_4 x86_64",
                "zypper 1.14.68-150400.3.3.1 x86_64",
            ]
        );
        assert_eq!(
            notes,
            [
                "var/lib/rpm/Packages.db: not read: not an RPM database (neither SQLite, BerkeleyDB hash nor NDB)"
            ]
        );
    }
}
