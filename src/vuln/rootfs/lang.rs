//! Language packages installed in an image, found as Trivy's image analyzers find them:
//! Python's `*.dist-info/METADATA` and egg-info files, Node.js's `package.json` of each
//! installed package (a subpath helper such as `node_modules/rxjs/ajax/package.json` is not
//! one), each read for its name and version.

use crate::vuln::language::{Ecosystem, LangPackage};

/// Which ecosystem's package file `path` is, if any.
pub fn ecosystem_of(path: &str) -> Option<Ecosystem> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let egg = [
        "EGG-INFO/PKG-INFO",
        ".egg-info",
        ".egg-info/PKG-INFO",
        ".egg-info/METADATA",
    ]
    .iter()
    .any(|suffix| path.ends_with(suffix));
    if (base == "METADATA" && path.contains(".dist-info")) || egg {
        return Some(Ecosystem::Pip);
    }
    (base == "package.json" && is_package_root(path)).then_some(Ecosystem::Npm)
}

/// Trivy's `IsPackageRoot`: under the last `node_modules`, one name (`rxjs`) or a scoped one
/// (`@angular/core`); paths outside `node_modules` count too.
fn is_package_root(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let Some(anchor) = parts.iter().rposition(|p| *p == "node_modules") else {
        return true;
    };
    let name = &parts[anchor + 1..parts.len() - 1];
    match name {
        [one] => !one.starts_with('@'),
        [scope, _] => scope.starts_with('@'),
        _ => false,
    }
}

/// The package a file names; `None` without a name and a version.
pub fn parse(ecosystem: Ecosystem, path: &str, bytes: &[u8]) -> Option<LangPackage> {
    let (name, version) = match ecosystem {
        Ecosystem::Pip => {
            // Core metadata: RFC 822 headers up to the first blank line.
            let text = String::from_utf8_lossy(bytes);
            let mut name = None;
            let mut version = None;
            for line in text.lines().take_while(|l| !l.trim().is_empty()) {
                if let Some(v) = line.strip_prefix("Name:") {
                    name.get_or_insert_with(|| v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("Version:") {
                    version.get_or_insert_with(|| v.trim().to_string());
                }
            }
            (name?, version?)
        }
        Ecosystem::Npm => {
            #[derive(serde::Deserialize)]
            struct Manifest {
                #[serde(default)]
                name: Option<serde_json::Value>,
                #[serde(default)]
                version: Option<serde_json::Value>,
            }
            let manifest: Manifest = serde_json::from_slice(bytes).ok()?;
            let text = |v: Option<serde_json::Value>| v?.as_str().map(str::to_string);
            (text(manifest.name)?, text(manifest.version)?)
        }
        // Go binaries are read by `gobinary`, not from a file's text.
        Ecosystem::Go | Ecosystem::Maven => return None,
    };
    (!name.is_empty() && !version.is_empty()).then(|| LangPackage {
        ecosystem,
        name,
        version,
        path: path.to_string(),
        layer: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_files_are_told_apart_from_helpers() {
        let pip = Some(Ecosystem::Pip);
        let npm = Some(Ecosystem::Npm);
        assert_eq!(
            ecosystem_of("usr/lib/python3/dist-packages/Werkzeug-0.11.dist-info/METADATA"),
            pip
        );
        assert_eq!(
            ecosystem_of("usr/lib/python3.9/site-packages/six.egg-info/PKG-INFO"),
            pip
        );
        assert_eq!(ecosystem_of("app/node_modules/jquery/package.json"), npm);
        assert_eq!(
            ecosystem_of("app/node_modules/@angular/core/package.json"),
            npm
        );
        assert_eq!(
            ecosystem_of("app/node_modules/rxjs/ajax/package.json"),
            None
        );
        assert_eq!(
            ecosystem_of("app/node_modules/@angular/core/testing/package.json"),
            None
        );
        assert_eq!(ecosystem_of("app/package.json"), npm);
        assert_eq!(ecosystem_of("usr/share/doc/METADATA"), None);
    }

    #[test]
    fn names_and_versions_are_read() {
        let p = parse(
            Ecosystem::Pip,
            "x.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: Werkzeug\nVersion: 0.11\n\nName: not-this\n",
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("Werkzeug", "0.11"));
        let n = parse(
            Ecosystem::Npm,
            "node_modules/jquery/package.json",
            br#"{"name":"jquery","version":"3.3.9"}"#,
        )
        .unwrap();
        assert_eq!((n.name.as_str(), n.version.as_str()), ("jquery", "3.3.9"));
        assert!(parse(Ecosystem::Npm, "package.json", br#"{"name":"app"}"#).is_none());
        assert!(
            parse(
                Ecosystem::Npm,
                "package.json",
                br#"{"name":1,"version":[]}"#
            )
            .is_none()
        );
        assert!(parse(Ecosystem::Pip, "METADATA", b"\xff\xfe garbage").is_none());
    }
}
