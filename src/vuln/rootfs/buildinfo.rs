//! Red Hat's build information in an image: the content sets (package repositories) its
//! packages came from (`root/buildinfo/content_manifests/*.json`, RHCOS's
//! `usr/share/buildinfo/*.json`) and the container build that made it
//! (`root/buildinfo/Dockerfile-<name>-<version>-<release>`). Red Hat's advisories apply per
//! product, and these say which products an image is: Trivy's `buildinfo` analyzers.

use super::{Error, Files};

/// What one layer (or a root folder) says of its build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BuildInfo {
    /// Repositories (`rhel-7-server-rpms`), from the content manifest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub content_sets: Vec<String>,
    /// The build's name-version-release (`ubi7-container-7.7-140`), from the Dockerfile.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nvr: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub arch: String,
}

/// Folders whose JSON files are content manifests.
const MANIFEST_DIRS: [&str; 2] = ["root/buildinfo/content_manifests", "usr/share/buildinfo"];
/// The folder of the build's Dockerfiles.
const DOCKERFILE_DIR: &str = "root/buildinfo";

/// Whether an image's file is one the build information is read from.
pub fn is_file(path: &str) -> bool {
    let Some((dir, name)) = path.rsplit_once('/') else {
        return false;
    };
    (MANIFEST_DIRS.contains(&dir) && name.ends_with(".json"))
        || (dir == DOCKERFILE_DIR && name.starts_with("Dockerfile"))
}

/// The build information of the files, `None` when they hold none. As in Trivy, the
/// content sets come from the last manifest that lists some, and the build from the last
/// Dockerfile that names a component and an architecture; a file that cannot be read
/// adds nothing.
pub fn read(files: &dyn Files) -> Result<Option<BuildInfo>, Error> {
    let mut info = BuildInfo::default();
    for dir in MANIFEST_DIRS {
        for name in files.list(dir)?.unwrap_or_default() {
            let path = format!("{dir}/{name}");
            if !is_file(&path) {
                continue;
            }
            if let Some(sets) = files.read_bytes(&path)?.and_then(|b| content_sets(&b)) {
                info.content_sets = sets;
            }
        }
    }
    for name in files.list(DOCKERFILE_DIR)?.unwrap_or_default() {
        let path = format!("{DOCKERFILE_DIR}/{name}");
        if !is_file(&path) {
            continue;
        }
        if let Some(text) = files.read(&path)?
            && let Some((component, arch)) = labels(&text)
        {
            info.nvr = format!("{component}-{}", version_release(&name));
            info.arch = arch;
        }
    }
    Ok(Some(info).filter(|i| !i.content_sets.is_empty() || !i.nvr.is_empty()))
}

/// A content manifest's non-empty `content_sets`.
fn content_sets(bytes: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(default)]
        content_sets: Vec<String>,
    }
    let manifest: Manifest = serde_json::from_slice(bytes).ok()?;
    Some(manifest.content_sets).filter(|s| !s.is_empty())
}

/// `7.7-140` from `Dockerfile-ubi7-7.7-140`: the text after the second-to-last `-`.
fn version_release(file_name: &str) -> &str {
    let Some(release) = file_name.rfind('-') else {
        return "";
    };
    let start = file_name[..release].rfind('-').map_or(0, |i| i + 1);
    &file_name[start..]
}

/// The `com.redhat.component` (or `BZComponent`) and `architecture` labels of a
/// Dockerfile; `None` unless it names both. Values are taken as written: Red Hat's build
/// Dockerfiles set them literally.
fn labels(dockerfile: &str) -> Option<(String, String)> {
    let (mut component, mut arch) = (None, None);
    for instruction in instructions(dockerfile) {
        let Some((keyword, rest)) = instruction.split_once(char::is_whitespace) else {
            continue;
        };
        if !keyword.eq_ignore_ascii_case("LABEL") {
            continue;
        }
        for (key, value) in label_pairs(rest) {
            match key.to_ascii_lowercase().as_str() {
                "com.redhat.component" | "bzcomponent" => component = Some(value),
                "architecture" => arch = Some(value),
                _ => {}
            }
        }
    }
    Some((component?, arch?)).filter(|(c, a)| !c.is_empty() && !a.is_empty())
}

/// A Dockerfile's instructions, continuation lines joined and comments dropped.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') && current.is_empty() {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `key=value` pairs of a `LABEL` (values quoted or not), or the old `LABEL key value`.
fn label_pairs(rest: &str) -> Vec<(String, String)> {
    let words = shell_words(rest);
    if words.len() >= 2 && !words[0].contains('=') {
        return vec![(words[0].clone(), words[1..].join(" "))];
    }
    words
        .into_iter()
        .filter_map(|w| {
            let (k, v) = w.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// Words split on unquoted whitespace, quotes removed and `\x` escapes applied.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quote, mut in_word) = (None, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_red_hat_dockerfile_names_its_build() {
        let dockerfile = "FROM sha256:abc\n# a comment\nLABEL \"com.redhat.component\"=\"ubi7-container\" \\\n      \"name\"=\"ubi7\" \\\n      architecture=\"x86_64\"\nRUN true\n";
        assert_eq!(
            labels(dockerfile),
            Some(("ubi7-container".into(), "x86_64".into()))
        );
        assert_eq!(version_release("Dockerfile-ubi7-7.7-140"), "7.7-140");
        assert_eq!(version_release("Dockerfile"), "");
        assert_eq!(
            labels("LABEL BZComponent rhel-server-docker\nLABEL architecture x86_64"),
            Some(("rhel-server-docker".into(), "x86_64".into()))
        );
        // No architecture: no build.
        assert_eq!(labels("LABEL com.redhat.component=ubi8"), None);
    }

    #[test]
    fn content_manifests_list_their_repositories() {
        assert_eq!(
            content_sets(br#"{"content_sets":["rhel-8-for-x86_64-baseos-rpms__8"]}"#),
            Some(vec!["rhel-8-for-x86_64-baseos-rpms__8".to_string()])
        );
        assert_eq!(content_sets(br#"{"content_sets":[]}"#), None);
        assert_eq!(content_sets(b"not json"), None);
        assert!(is_file("root/buildinfo/content_manifests/ubi8.json"));
        assert!(is_file("root/buildinfo/Dockerfile-ubi8-8.4-206"));
        assert!(!is_file("root/buildinfo/content_manifests/readme.txt"));
        assert!(!is_file("etc/Dockerfile"));
    }
}
