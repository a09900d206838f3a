//! Java archives (`.jar`, `.war`, `.ear`, `.par`) read as Trivy's jar parser reads them
//! (`pkg/dependency/parser/java/jar`): every valid `pom.properties` inside is a package; the
//! archive's own artifact, when no `pom.properties` names it, comes from its manifest (if
//! the Java DB knows that group and artifact), else its SHA-1 in the Java DB, else its file
//! name (`name-1.2.3.jar`) with the group the Java DB gives that artifact; archives nested
//! in archives (`WEB-INF/lib/*.jar`) the same way.
//!
//! Reading ([`read`]) and naming ([`resolve`]) are apart: what an archive says of itself is
//! kept per image digest, and the Java DB is asked at match time, so a newer Java DB names
//! more without reading any layer again. Without a Java DB only `pom.properties` name
//! packages (Trivy then skips JARs altogether); the scan says how many archives stay
//! unnamed.
//!
//! Every read is bounded: the archive (256 MiB), its entries (200,000), the small files
//! (manifest 10 MiB as Trivy, `pom.properties` 1 MiB), nesting (4 deep) and what nested
//! archives unpack to together (1 GiB); a name with `..` is not followed.

use super::super::javadb::{Coordinates, JavaIndex};
use super::super::language::{Ecosystem, LangPackage};
use std::io::Read;

/// An archive is read at most this big (Spring Boot's fat JARs are up to a few hundred MiB).
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 20;
const MAX_ENTRIES: usize = 200_000;
const MAX_MANIFEST_BYTES: u64 = 10 << 20;
const MAX_PROPERTIES_BYTES: u64 = 1 << 20;
const MAX_DEPTH: usize = 4;
/// What the nested archives of one archive may unpack to together (a zip quine stops).
const MAX_NESTED_BYTES: u64 = 1 << 30;

/// How an image layer marks a JAR's facts among the files it keeps.
pub const MARKER: &[u8] = b"\0kaudit-jar-facts\0";

/// What one archive says of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct JarFacts {
    /// Its path in the image (nested: `app.war/WEB-INF/lib/x.jar`).
    pub path: String,
    /// SHA-1 of its bytes, lower-case hex.
    pub sha1: String,
    /// Artifact id and version from the file name (`spring-core-5.3.4.jar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<(String, String)>,
    /// Every valid `pom.properties` inside (not in nested archives), in archive order.
    pub poms: Vec<Coordinates>,
    /// What the main section of `MANIFEST.MF` names, when it names all three.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Coordinates>,
    pub nested: Vec<JarFacts>,
    /// Why the archive (or part of it) was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The image layer that wrote it (top-level archives in images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// Whether Trivy's jar analyzer reads the file at `path` (its extension, any case).
pub fn is_archive(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".jar", ".war", ".ear", ".par"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// An archive nested in another: Trivy looks into these three (case-sensitive).
fn is_nested_archive(name: &str) -> bool {
    [".jar", ".ear", ".war"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Reads the archive at `path` whose bytes are `bytes`; what cannot be read is in `error`.
pub fn read(path: &str, bytes: &[u8]) -> JarFacts {
    let mut nested_left = MAX_NESTED_BYTES;
    read_at_depth(path, bytes, 0, &mut nested_left)
}

fn read_at_depth(path: &str, bytes: &[u8], depth: usize, nested_left: &mut u64) -> JarFacts {
    use sha1::Digest;
    let mut facts = JarFacts {
        path: path.to_string(),
        sha1: hex(&sha1::Sha1::digest(bytes)),
        from_name: from_file_name(path.rsplit('/').next().unwrap_or(path)),
        ..JarFacts::default()
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(e) => {
            facts.error = Some(format!("not a readable zip archive: {e}"));
            return facts;
        }
    };
    if archive.len() > MAX_ENTRIES {
        facts.error = Some(format!("more than {MAX_ENTRIES} entries; not read"));
        return facts;
    }
    for index in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(index) else {
            continue;
        };
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base == "pom.properties" {
            match small(&mut entry, MAX_PROPERTIES_BYTES) {
                Some(text) => facts.poms.extend(pom_properties(&text)),
                None => note(&mut facts, format!("{name}: unreadable or too large")),
            }
        } else if base == "MANIFEST.MF" {
            // The last one in the archive wins, as in Trivy.
            match small(&mut entry, MAX_MANIFEST_BYTES) {
                Some(text) => facts.manifest = manifest(&text),
                None => note(&mut facts, format!("{name}: unreadable or too large")),
            }
        } else if is_nested_archive(&name) && entry.is_file() {
            if name.split('/').any(|part| part == "..") {
                continue;
            }
            if depth + 1 >= MAX_DEPTH {
                note(
                    &mut facts,
                    format!("{name}: nested deeper than {MAX_DEPTH}; not read"),
                );
                continue;
            }
            let declared = entry.size();
            if declared > MAX_ARCHIVE_BYTES || declared > *nested_left {
                note(&mut facts, format!("{name}: too large to read nested"));
                continue;
            }
            // A header may lie about the size: the buffer grows with what really comes.
            let mut inner = Vec::with_capacity(declared.min(16 << 20) as usize);
            if (&mut entry)
                .take(declared + 1)
                .read_to_end(&mut inner)
                .is_err()
                || inner.len() as u64 != declared
            {
                note(&mut facts, format!("{name}: unreadable"));
                continue;
            }
            *nested_left -= declared;
            let inner_path = format!("{path}/{}", name.trim_start_matches('/'));
            facts
                .nested
                .push(read_at_depth(&inner_path, &inner, depth + 1, nested_left));
        }
    }
    facts
}

fn note(facts: &mut JarFacts, text: String) {
    if facts.error.is_none() {
        facts.error = Some(text);
    }
}

fn small(entry: &mut impl Read, cap: u64) -> Option<String> {
    let mut bytes = Vec::new();
    entry.take(cap + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= cap).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Trivy's `^([a-zA-Z0-9\._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$` on a file name: the
/// longest artifact id that leaves a version starting with a digit.
pub fn from_file_name(name: &str) -> Option<(String, String)> {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() < 7 || !name.ends_with("jar") || chars[chars.len() - 4] == '\n' {
        return None;
    }
    let version_end = chars.len() - 4;
    let in_class = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let whitespace = |c: &char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
    for dash in (1..version_end).rev() {
        if chars[dash] != '-' || !chars[dash + 1].is_ascii_digit() {
            continue;
        }
        let (artifact, version) = (&chars[..dash], &chars[dash + 1..version_end]);
        let last = artifact[artifact.len() - 1];
        if matches!(last, '-' | '*') || !artifact[..artifact.len() - 1].iter().all(in_class) {
            continue;
        }
        if version.iter().any(whitespace) {
            continue;
        }
        return Some((artifact.iter().collect(), version.iter().collect()));
    }
    None
}

/// A `pom.properties`' coordinates, when it names all three.
fn pom_properties(text: &str) -> Option<Coordinates> {
    let mut found = Coordinates {
        group: String::new(),
        artifact: String::new(),
        version: String::new(),
    };
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("groupId=") {
            found.group = v.to_string();
        } else if let Some(v) = line.strip_prefix("artifactId=") {
            found.artifact = v.to_string();
        } else if let Some(v) = line.strip_prefix("version=") {
            found.version = v.to_string();
        }
    }
    valid(found)
}

fn valid(c: Coordinates) -> Option<Coordinates> {
    (!c.group.is_empty() && !c.artifact.is_empty() && !c.version.is_empty()).then_some(c)
}

/// The main section of a manifest (up to its first empty line; CRLF, LF or CR ends a line;
/// a line starting with one space continues the one before), reduced to coordinates as
/// Trivy's `determineGroupID`/`ArtifactID`/`Version` choose them.
fn manifest(text: &str) -> Option<Coordinates> {
    let mut attributes: Vec<String> = Vec::new();
    for line in text.split("\r\n").flat_map(|l| l.split(['\n', '\r'])) {
        if line.is_empty() {
            break;
        }
        match (line.strip_prefix(' '), attributes.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            (Some(rest), None) => attributes.push(rest.to_string()),
            (None, _) => attributes.push(line.to_string()),
        }
    }
    let mut value = std::collections::HashMap::new();
    for attribute in &attributes {
        let fields: Vec<&str> = attribute.split_whitespace().collect();
        // `Bundle-Name: %bundleName` names a localized variable, not a value.
        if fields.len() <= 1 || fields[1].starts_with('%') {
            continue;
        }
        if let Some((key, rest)) = attribute.split_once(':') {
            value.insert(key.to_string(), rest.trim().to_string());
        }
    }
    let first = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| value.get(*k).filter(|v| !v.is_empty()).cloned())
    };
    let group = match first(&["Implementation-Vendor-Id"]) {
        Some(g) => g,
        None => match first(&["Bundle-SymbolicName"]) {
            // `com.fasterxml.jackson.core.jackson-databind` → `com.fasterxml.jackson.core`
            Some(s) => match s.rfind('.') {
                Some(i) if i > 0 => s[..i].to_string(),
                _ => s,
            },
            None => first(&["Implementation-Vendor", "Specification-Vendor"])?,
        },
    };
    valid(Coordinates {
        group,
        artifact: first(&["Implementation-Title", "Specification-Title", "Bundle-Name"])?,
        version: first(&[
            "Implementation-Version",
            "Specification-Version",
            "Bundle-Version",
        ])?,
    })
}

/// The Maven packages of the archives; the second list names archives left unnamed
/// because there is no Java DB to ask.
pub fn resolve(
    archives: &[JarFacts],
    index: Option<&dyn JavaIndex>,
) -> Result<(Vec<LangPackage>, Vec<String>), String> {
    let mut packages = Vec::new();
    let mut unnamed = Vec::new();
    for archive in archives {
        let mut found = Vec::new();
        resolve_one(archive, index, &mut found, &mut unnamed)?;
        // Trivy's removePackageDuplicates: one package per name, file and equal version.
        let mut kept: Vec<(String, String, super::super::version::maven::Version)> = Vec::new();
        for (coordinates, path) in found {
            let name = format!("{}:{}", coordinates.group, coordinates.artifact);
            let version = super::super::version::maven::Version::parse(&coordinates.version);
            if kept
                .iter()
                .any(|(n, p, v)| *n == name && *p == path && *v == version)
            {
                continue;
            }
            kept.push((name.clone(), path.clone(), version));
            packages.push(LangPackage {
                ecosystem: Ecosystem::Maven,
                name,
                version: coordinates.version,
                path,
                layer: archive.layer.clone(),
            });
        }
    }
    Ok((packages, unnamed))
}

fn resolve_one(
    archive: &JarFacts,
    index: Option<&dyn JavaIndex>,
    found: &mut Vec<(Coordinates, String)>,
    unnamed: &mut Vec<String>,
) -> Result<(), String> {
    let own = |c: &Coordinates| (c.clone(), archive.path.clone());
    found.extend(archive.poms.iter().map(own));
    for nested in &archive.nested {
        resolve_one(nested, index, found, unnamed)?;
    }
    if archive.sha1.is_empty() {
        return Ok(());
    }
    let named_by_pom = archive.poms.iter().any(|p| {
        archive
            .from_name
            .as_ref()
            .is_some_and(|(a, v)| *a == p.artifact && *v == p.version)
    });
    if named_by_pom {
        return Ok(());
    }
    let Some(index) = index else {
        unnamed.push(archive.path.clone());
        return Ok(());
    };
    if let Some(m) = &archive.manifest
        && index.exists(&m.group, &m.artifact)?
    {
        found.push(own(m));
        return Ok(());
    }
    if let Some(c) = index.by_sha1(&archive.sha1)? {
        found.push(own(&c));
        return Ok(());
    }
    if let Some((artifact, version)) = &archive.from_name
        && let Some(group) = index.group_of(artifact, version)?
    {
        found.push(own(&Coordinates {
            group,
            artifact: artifact.clone(),
            version: version.clone(),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_read_as_trivys_pattern() {
        let name = |n: &str| from_file_name(n).map(|(a, v)| format!("{a} {v}"));
        assert_eq!(
            name("spring-core-5.3.4-SNAPSHOT.jar").as_deref(),
            Some("spring-core 5.3.4-SNAPSHOT")
        );
        assert_eq!(
            name("log4j-core-2.14.1.jar").as_deref(),
            Some("log4j-core 2.14.1")
        );
        assert_eq!(name("app.jar"), None);
        assert_eq!(name("x-1.war"), None);
        assert_eq!(name("-1.0.jar"), None);
        assert_eq!(name("a--1.0.jar"), None);
        assert_eq!(name("a b-1.0.jar"), None, "a space in the artifact");
        assert_eq!(name("ab-1.0 x.jar"), None, "a space in the version");
    }

    #[test]
    fn manifests_name_the_archive_as_trivy_chooses() {
        let m = manifest(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-da\r\n tabind\r\nBundle-Name: %name\r\nImplementation-Title: jackson-databind\r\nBundle-Version: 2.9.1\r\n\r\nName: other\r\nImplementation-Version: 9.9\r\n",
        )
        .unwrap();
        assert_eq!(m.group, "com.fasterxml.jackson.core");
        assert_eq!(m.artifact, "jackson-databind");
        assert_eq!(
            m.version, "2.9.1",
            "sections after the main one do not count"
        );
        assert!(manifest("Implementation-Title: x\n").is_none());
    }

    #[test]
    fn bad_archives_are_errors_not_panics() {
        let facts = read("usr/app/broken.jar", b"PK\x03\x04 not really");
        assert!(facts.error.is_some());
        assert_eq!(facts.sha1.len(), 40);
        assert!(is_archive("opt/App.WAR"));
        assert!(!is_archive("opt/app.jar.txt"));
    }
}
