//! Layers merged as overlayfs merges them: a layer's whiteouts and opaque folders hide what
//! the layers below wrote, then its own files land on top.

use super::layer::{Content, LayerFiles};
use super::rootfs::{self, Files};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Overlay {
    /// Path → content, as the highest layer that wrote it left it, and that layer's index.
    files: BTreeMap<String, (Content, usize)>,
}

impl Overlay {
    pub fn apply(&mut self, layer: &LayerFiles, index: usize) {
        for dir in &layer.opaque {
            self.remove_under(dir, false);
        }
        for path in &layer.whiteouts {
            self.remove_under(path, true);
        }
        for (path, content) in &layer.files {
            self.files.insert(path.clone(), (content.clone(), index));
        }
    }

    /// Removes what lies under `path` (and `path` itself when `itself`).
    fn remove_under(&mut self, path: &str, itself: bool) {
        if itself {
            self.files.remove(path);
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let doomed: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for key in doomed {
            self.files.remove(&key);
        }
    }

    /// A regular file's text.
    pub fn get(&self, path: &str) -> Option<&Arc<Vec<u8>>> {
        self.files
            .get(path)
            .and_then(|(content, _)| content.as_ref())
    }

    /// The index of the layer that wrote `path` last.
    pub fn layer_of(&self, path: &str) -> Option<usize> {
        self.files.get(path).map(|(_, index)| *index)
    }

    /// The Go binaries kept (their build information).
    pub fn go_binaries(&self) -> Vec<(String, Vec<u8>)> {
        self.marked(super::rootfs::gobinary::MARKER)
            .map(|(path, content)| (path.clone(), content.to_vec()))
            .collect()
    }

    /// The Java archives kept (what each says of itself).
    pub fn jars(&self) -> Vec<rootfs::jar::JarFacts> {
        let marker = rootfs::jar::MARKER;
        self.marked(marker)
            .filter_map(|(_, content)| serde_json::from_slice(&content[marker.len()..]).ok())
            .collect()
    }

    /// Files read as they streamed past, kept as `marker` and what was found.
    fn marked<'a>(
        &'a self,
        marker: &'a [u8],
    ) -> impl Iterator<Item = (&'a String, &'a Arc<Vec<u8>>)> + 'a {
        self.files.iter().filter_map(move |(path, (content, _))| {
            let content = content.as_ref()?;
            content.starts_with(marker).then_some((path, content))
        })
    }

    /// Regular files whose path `matching` accepts.
    pub fn find(&self, matching: &dyn Fn(&str) -> bool) -> Vec<String> {
        self.files
            .iter()
            .filter(|(path, (content, _))| content.is_some() && matching(path))
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// The names directly in `dir`, sorted; `None` when nothing is there.
    pub fn children(&self, dir: &str) -> Option<Vec<String>> {
        children(self.files.keys(), dir)
    }
}

fn children<'a>(keys: impl Iterator<Item = &'a String>, dir: &str) -> Option<Vec<String>> {
    let prefix = format!("{dir}/");
    let names: Vec<String> = keys
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|rest| !rest.contains('/'))
        .map(str::to_string)
        .collect();
    (!names.is_empty()).then_some(names)
}

/// One layer's own files, to see which packages its database lists.
pub struct Single<'a>(pub &'a LayerFiles);

impl Single<'_> {
    /// Whether this layer wrote a package database.
    pub fn holds_packages(&self) -> bool {
        self.0
            .files
            .keys()
            .any(|p| rootfs::PACKAGE_DATABASES.iter().any(|db| p.starts_with(db)))
    }
}

impl Files for Single<'_> {
    fn read_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, rootfs::Error> {
        Ok(self
            .0
            .files
            .get(path)
            .and_then(|c| c.as_ref())
            .map(|c| c.to_vec()))
    }
    fn list(&self, dir: &str) -> Result<Option<Vec<String>>, rootfs::Error> {
        Ok(children(self.0.files.keys(), dir))
    }
    fn find(&self, matching: &dyn Fn(&str) -> bool) -> Result<Vec<String>, rootfs::Error> {
        Ok(self
            .0
            .files
            .iter()
            .filter(|(path, content)| content.is_some() && matching(path))
            .map(|(path, _)| path.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(files: &[(&str, &str)], whiteouts: &[&str], opaque: &[&str]) -> LayerFiles {
        LayerFiles {
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), Some(Arc::new(c.as_bytes().to_vec()))))
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque: opaque.iter().map(|s| s.to_string()).collect(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn whiteouts_and_opaque_folders_hide_lower_layers() {
        let mut o = Overlay::default();
        o.apply(
            &layer(
                &[
                    ("var/lib/dpkg/status", "base"),
                    ("var/lib/dpkg/status.d/a", "a"),
                    ("etc/os-release", "ID=debian"),
                ],
                &[],
                &[],
            ),
            0,
        );
        o.apply(
            &layer(
                &[("var/lib/dpkg/status.d/b", "b")],
                &["var/lib/dpkg/status"],
                &["var/lib/dpkg/status.d"],
            ),
            1,
        );
        assert_eq!(o.layer_of("var/lib/dpkg/status.d/b"), Some(1));
        assert_eq!(o.layer_of("etc/os-release"), Some(0));
        assert!(o.get("var/lib/dpkg/status").is_none());
        assert_eq!(
            o.children("var/lib/dpkg/status.d"),
            Some(vec!["b".to_string()])
        );
        o.apply(&layer(&[], &["etc"], &[]), 2);
        assert!(o.get("etc/os-release").is_none());
        assert_eq!(
            o.get("var/lib/dpkg/status.d/b").map(|c| c.as_slice()),
            Some(&b"b"[..])
        );
    }
}
