//! One image's known vulnerabilities (`kaudit image scan`): its packages read from a
//! registry, an OCI layout, a saved archive or an unpacked root, then matched against
//! Trivy's database. What an image digest holds never changes, so its packages are kept in
//! kaudit's store by digest and platform, and a second scan of the same digest reads no
//! layer (matching runs again, so a newer database is always used).

use crate::registry::client::{Remote, RemoteOptions};
use crate::registry::{ImageSource, Platform, archive::Archive, layout::Layout, manifest};
use crate::store::Store;
use crate::vuln::image::{self, ImageContents};
use crate::vuln::javadb::JavaDb;
use crate::vuln::trivydb::{Metadata, TrivyDb};
use crate::vuln::{ImageScan, ScannedOs, ScannedWith, eol, matcher, rootfs, severity};
use std::path::{Path, PathBuf};

/// What to scan.
#[derive(Debug, Clone)]
pub enum Target {
    Reference(String),
    Layout(PathBuf),
    Archive(PathBuf),
    Rootfs(PathBuf),
}

impl Target {
    /// Whether results are kept per digest: only for registry images, whose digests kaudit
    /// computed from what the registry sent. A layout or an archive on disk names digests
    /// it could forge, and must never answer for a registry image.
    pub fn caches(&self) -> bool {
        matches!(self, Target::Reference(_))
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Reference(r) => r.clone(),
            Target::Layout(p) | Target::Archive(p) | Target::Rootfs(p) => p.display().to_string(),
        }
    }
}

pub struct Options {
    pub platform: Platform,
    pub remote: RemoteOptions,
    /// kaudit's store, for the per-digest cache; `None` reads every layer every time.
    pub store: Option<PathBuf>,
}

/// The cache area and the version of what kaudit reads from layers: a new version (new
/// analyzers, new fields) leaves older entries unused.
const CACHE_AREA: &str = "image-packages";
const CACHE_VERSION: &str = "v4";
/// The cache area of an image's matches against one database.
const MATCHES_AREA: &str = "image-matches";

/// The image's OS and packages, and whether they came from the cache.
pub fn read(target: &Target, options: &Options) -> Result<(ImageContents, bool), String> {
    let store = options.store.as_deref().and_then(|p| Store::open(p).ok());
    let key = format!("{CACHE_VERSION}/{}", options.platform);
    let cached = |digest: &str| -> Option<ImageContents> {
        let bytes = store.as_ref()?.cached(CACHE_AREA, digest, &key).ok()??;
        serde_json::from_slice(&bytes).ok()
    };
    let local = |source: &mut dyn ImageSource| -> Result<(ImageContents, bool), String> {
        let read = image::analyze(source, &options.platform).map_err(|e| e.to_string())?;
        Ok((read, false))
    };
    let reference = match target {
        Target::Rootfs(root) => {
            let contents = rootfs::read(root).map_err(|e| e.to_string())?;
            let read = ImageContents {
                contents,
                digest: String::new(),
                config_digest: String::new(),
                layers: Vec::new(),
            };
            return Ok((read, false));
        }
        Target::Layout(dir) => return local(&mut Layout::open(dir).map_err(|e| e.to_string())?),
        Target::Archive(file) => {
            return local(&mut Archive::open(file).map_err(|e| e.to_string())?);
        }
        Target::Reference(reference) => reference,
    };
    // A reference by digest is answered from the cache before any request.
    if let Some(digest) = reference.split_once('@').map(|(_, d)| d)
        && let Some(found) = cached(digest)
    {
        return Ok((found, true));
    }
    let mut source = Remote::new(reference, options.remote.clone()).map_err(|e| e.to_string())?;
    let manifest = source
        .manifest(&options.platform)
        .map_err(|e| e.to_string())?;
    // The digest of the manifest bytes the registry sent (checked against the reference's
    // own digest when it has one).
    let digest = manifest.digest.clone();
    if let Some(found) = cached(&digest) {
        return Ok((found, true));
    }
    let read = image::analyze_manifest(&mut source, manifest).map_err(|e| e.to_string())?;
    if let Some(store) = &store {
        keep(store, &digest, &options.platform, &read);
        if let Some((_, asked)) = reference.split_once('@')
            && asked != digest
        {
            keep(store, asked, &options.platform, &read);
        }
    }
    Ok((read, false))
}

/// Keeps what a registry image's digest holds, for `platform` (a digest that is not sha256
/// is not kept).
pub fn keep(store: &Store, digest: &str, platform: &Platform, read: &ImageContents) {
    if manifest::sha256_hex(digest).is_none() {
        return;
    }
    if let Ok(bytes) = serde_json::to_vec(read) {
        let key = format!("{CACHE_VERSION}/{platform}");
        let _ = store.cache(
            CACHE_AREA,
            digest,
            &key,
            &bytes,
            &crate::time::now_rfc3339(),
        );
    }
}

/// The databases a scan matches with: Trivy's vulnerability database, and its Java DB when
/// there is one (it names JARs that do not name themselves).
pub struct Databases {
    pub trivy: TrivyDb,
    pub trivy_path: PathBuf,
    pub java: Option<JavaDb>,
}

impl Databases {
    /// Finds and opens them: the files named, else Trivy's cache, else kaudit's.
    pub fn open(
        trivy_db: Option<&Path>,
        java_db: Option<&Path>,
        cache: Option<&Path>,
    ) -> Result<Databases, String> {
        let trivy_path = crate::vuln::locate::find(trivy_db, cache)?;
        let trivy = TrivyDb::open(&trivy_path).map_err(|e| e.to_string())?;
        let java = match crate::vuln::locate::find_java(java_db, cache)? {
            Some(path) => Some(JavaDb::open(&path)?),
            None => None,
        };
        Ok(Databases {
            trivy,
            trivy_path,
            java,
        })
    }

    /// `the vulnerability database FILE (schema 2, updated ..., N days ago)`, saying when it
    /// is past its next update.
    pub fn describe(&self, now: i64) -> String {
        format!(
            "the vulnerability database {} ({})",
            self.trivy_path.display(),
            self.trivy
                .metadata
                .as_ref()
                .map_or("no metadata.json: its age is not known".into(), |m| m
                    .describe(now))
        )
    }

    /// What names this pair of databases in the matches cache: a newer either matches anew.
    fn identity(&self) -> Option<String> {
        let java = self
            .java
            .as_ref()
            .map_or("no-java-db".to_string(), |j| match &j.metadata {
                Some(m) => m.updated_at.clone(),
                None => "java-db".to_string(),
            });
        Some(format!(
            "{}/{java}",
            self.trivy.metadata.as_ref()?.updated_at
        ))
    }
}

fn scanned_with(path: &Path, metadata: Option<&Metadata>) -> ScannedWith {
    ScannedWith {
        path: path.display().to_string(),
        updated_at: metadata.map(|m| m.updated_at.clone()),
        next_update: metadata.map(|m| m.next_update.clone()),
    }
}

/// Notes on Java archives at most, per image.
const MAX_JAR_NOTES: usize = 20;

/// Matches an image's packages against the databases. With a store, the matches of a
/// digest are kept there for these databases (their `UpdatedAt`), so a second audit
/// matches nothing.
pub fn scan(
    artifact: String,
    read: ImageContents,
    cached: bool,
    databases: &Databases,
    today: &str,
    store: Option<&Path>,
) -> Result<ImageScan, String> {
    let db = &databases.trivy;
    let os = read.contents.os.clone();
    // No OS release file (scratch, a bare binary): its language packages are still matched,
    // as Trivy does.
    let no_os = os.family.is_empty() && read.contents.packages.is_empty();
    let has_languages = !read.contents.languages.is_empty() || !read.contents.jars.is_empty();
    let os_gap = if no_os {
        None
    } else {
        matcher::coverage_gap(db, &os, &read.contents.packages).map_err(|e| e.to_string())?
    };
    let evaluated = if no_os {
        has_languages
    } else {
        os_gap.is_none()
    };
    let digest = Some(&read.digest).filter(|d| manifest::sha256_hex(d).is_some());
    // A database without metadata has no identity to key matches by.
    let kept = match (
        store.and_then(|p| Store::open(p).ok()),
        digest,
        databases.identity(),
    ) {
        (Some(store), Some(digest), Some(identity)) => {
            Some((store, digest.clone(), format!("{CACHE_VERSION}/{identity}")))
        }
        _ => None,
    };
    let java_index = databases
        .java
        .as_ref()
        .map(|j| j as &dyn crate::vuln::javadb::JavaIndex);
    let (jar_packages, unnamed) = rootfs::jar::resolve(&read.contents.jars, java_index)?;
    let known = kept.as_ref().and_then(|(store, digest, key)| {
        let bytes = store.cached(MATCHES_AREA, digest, key).ok()??;
        crate::vuln::Vulnerability::from_cache(&bytes)
    });
    let found = match known {
        Some(found) => found,
        None => {
            let mut found =
                matcher::matches(db, &os, &read.contents.packages).map_err(|e| e.to_string())?;
            found.extend(
                crate::vuln::language::matches(db, &read.contents.languages)
                    .map_err(|e| e.to_string())?,
            );
            found.extend(
                crate::vuln::language::matches(db, &jar_packages).map_err(|e| e.to_string())?,
            );
            found.sort_by(|a, b| {
                severity(b.severity)
                    .cmp(&severity(a.severity))
                    .then_with(|| a.package.cmp(&b.package))
                    .then_with(|| a.id.cmp(&b.id))
            });
            if let Some((store, digest, key)) = &kept
                && let Ok(bytes) = serde_json::to_vec(&found)
            {
                let _ = store.cache(
                    MATCHES_AREA,
                    digest,
                    key,
                    &bytes,
                    &crate::time::now_rfc3339(),
                );
            }
            found
        }
    };
    let mut notes = read.contents.notes.clone();
    notes.extend(jar_notes(&read.contents.jars, &unnamed));
    if no_os && has_languages {
        notes.push("no OS release file: only its language packages are evaluated".into());
    } else if no_os {
        notes.push(
            "no OS release file (etc/os-release, etc/debian_version, etc/alpine-release, ...) and no language packages: nothing to evaluate".into(),
        );
    }
    notes.extend(os_gap);
    if let Some(m) = db
        .metadata
        .as_ref()
        .filter(|m| m.is_stale(crate::time::unix_now()))
    {
        notes.push(format!(
            "the vulnerability database is past its next update ({}): run `kaudit db update`",
            m.next_update
        ));
    }
    Ok(ImageScan {
        artifact,
        digest: Some(read.digest).filter(|d| !d.is_empty()),
        cached,
        os: ScannedOs {
            eosl: eol::is_past(&os, today),
            family: os.family,
            release: os.release,
        },
        evaluated,
        packages: read.contents.packages.len(),
        language_packages: read.contents.languages.len() + jar_packages.len(),
        database: scanned_with(&databases.trivy_path, db.metadata.as_ref()),
        java_database: databases
            .java
            .as_ref()
            .map(|j| scanned_with(&j.path, j.metadata.as_ref())),
        notes,
        vulnerabilities: found,
    })
}

/// What could not be read of an image's Java archives, and which stay unnamed for want of a
/// Java DB.
fn jar_notes(jars: &[rootfs::jar::JarFacts], unnamed: &[String]) -> Vec<String> {
    fn errors<'a>(jar: &'a rootfs::jar::JarFacts, out: &mut Vec<(&'a str, &'a str)>) {
        if let Some(e) = &jar.error {
            out.push((&jar.path, e));
        }
        for nested in &jar.nested {
            errors(nested, out);
        }
    }
    let mut found = Vec::new();
    for jar in jars {
        errors(jar, &mut found);
    }
    let mut notes: Vec<String> = found
        .iter()
        .take(MAX_JAR_NOTES)
        .map(|(path, e)| format!("{path}: {e}"))
        .collect();
    if found.len() > MAX_JAR_NOTES {
        notes.push(format!(
            "{} more Java archives not read whole",
            found.len() - MAX_JAR_NOTES
        ));
    }
    if !unnamed.is_empty() {
        notes.push(format!(
            "{} Java archives ({}{}) do not name themselves in a pom.properties and there is no Java DB to name them by manifest, SHA-1 or file name: their vulnerabilities are not evaluated; run `kaudit db update --java` (or pass --java-db FILE)",
            unnamed.len(),
            unnamed.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            if unnamed.len() > 3 { ", ..." } else { "" }
        ));
    }
    notes
}

/// How an audit scans the images its cluster runs (`--scan-images`).
#[derive(Debug, Clone)]
pub struct ClusterScan {
    /// Trivy's database (`--trivy-db`), else Trivy's cache, then kaudit's.
    pub trivy_db: Option<PathBuf>,
    /// Trivy's Java DB (`--java-db`), else Trivy's cache, then kaudit's; none is fine.
    pub java_db: Option<PathBuf>,
    /// kaudit's cache folder (where `kaudit db update` puts the database).
    pub cache: Option<PathBuf>,
    pub platform: Platform,
    /// Registries reached over plain HTTP besides loopback ones.
    pub insecure: Vec<String>,
    pub timeout: std::time::Duration,
    /// kaudit's store, for the per-digest cache.
    pub store: Option<PathBuf>,
}

/// Images scanned at once: registry reads wait on the network, not on the two cores.
const PARALLEL_SCANS: usize = 4;

/// One image to scan: what to pull, for which platform, and the references pods write for
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub reference: String,
    /// The platform of the nodes its pods run on (`linux/arm64`); `None`: `--platform`.
    pub platform: Option<String>,
    /// Those nodes: a pod there runs this platform's image of the digest.
    pub nodes: Vec<String>,
    pub written_as: Vec<String>,
}

impl Pull {
    /// `nginx@sha256:… (linux/arm64)`: how notes name it.
    pub fn label(&self) -> String {
        match &self.platform {
            Some(platform) => format!("{} ({platform})", self.reference),
            None => self.reference.clone(),
        }
    }
}

/// The images a cluster runs, once each per platform: by the digest a pod's container
/// status names (`imageID`, the image that really runs) for the platform of the pod's node,
/// else by the reference a pod or controller spec writes. A controller's image that its
/// running pods already cover is not pulled again by tag.
pub fn pulls(inventory: &crate::inventory::Inventory) -> Vec<Pull> {
    type Key = (String, Option<String>);
    // (aliases, nodes) per (reference, platform).
    let mut by_reference: std::collections::BTreeMap<Key, (Vec<String>, Vec<String>)> =
        Default::default();
    let mut covered = std::collections::BTreeSet::new();
    let mut add = |key: Key, image: &str, node: Option<&String>| {
        let (aliases, nodes) = by_reference.entry(key).or_default();
        if !aliases.iter().any(|a| a == image) {
            aliases.push(image.to_string());
        }
        if let Some(node) = node.filter(|n| !nodes.contains(n)) {
            nodes.push(node.clone());
        }
    };
    // Pods first: what runs, and where.
    for workload in &inventory.workloads {
        let node = workload.spec.node_name.as_ref();
        let platform = node
            .and_then(|node| inventory.node_platforms.get(node))
            .cloned();
        for container in &workload.container_ids {
            let Some(image) = container.image.as_deref().filter(|i| !i.is_empty()) else {
                continue;
            };
            let Some(running) = workload
                .running_image_ids
                .get(container.name.as_ref())
                .and_then(|id| pullable(id))
            else {
                continue;
            };
            covered.insert(image.to_string());
            add(
                (running, platform.clone()),
                image,
                node.filter(|_| platform.is_some()),
            );
        }
    }
    for workload in crate::checks::audited_workloads(inventory) {
        for container in &workload.container_ids {
            let Some(image) = container.image.as_deref().filter(|i| !i.is_empty()) else {
                continue;
            };
            if !covered.contains(image) {
                add((image.to_string(), None), image, None);
            }
        }
    }
    by_reference
        .into_iter()
        .map(|((reference, platform), (written_as, nodes))| Pull {
            reference,
            platform,
            nodes,
            written_as,
        })
        .collect()
}

/// `docker-pullable://nginx@sha256:…` or `docker.io/library/nginx@sha256:…` → a reference
/// to pull; a bare `sha256:…` (an image ID, which no registry serves by that name) → `None`.
fn pullable(image_id: &str) -> Option<String> {
    let id = image_id
        .strip_prefix("docker-pullable://")
        .unwrap_or(image_id);
    let parsed = crate::image_ref::ImageRef::parse(id)?;
    (id.contains('@') && manifest::sha256_hex(parsed.digest.as_deref()?).is_some())
        .then(|| id.to_string())
}

/// Scans every image in `pulls` (four at a time), matches each against the database, and
/// returns what is known with notes on what could not be read; `progress` is told (done,
/// total) after each image.
pub fn scan_cluster(
    pulls: &[Pull],
    options: &ClusterScan,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(crate::vuln::facts::ImageFacts, Vec<String>), String> {
    use crate::vuln::facts::{ImageFacts, ImageVulnerabilities};
    let databases = Databases::open(
        options.trivy_db.as_deref(),
        options.java_db.as_deref(),
        options.cache.as_deref(),
    )?;
    let queue = std::sync::Mutex::new(pulls.iter().collect::<std::collections::VecDeque<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_SCANS.min(pulls.len()) {
            scope.spawn(|| {
                while let Some(pull) = queue.lock().ok().and_then(|mut q| q.pop_front()) {
                    let result = read_one(pull, options);
                    if let Ok(mut all) = results.lock() {
                        all.push((pull, result));
                    }
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress(n, pulls.len());
                }
            });
        }
    });
    let mut facts = ImageFacts::new(format!(
        "kaudit's scan of the images from their registries with {}",
        databases.describe(crate::time::unix_now())
    ));
    let mut notes = Vec::new();
    let (mut scanned, mut cached) = (0, 0);
    let today = crate::time::today();
    let mut known_images = Vec::new();
    for (pull, result) in results.into_inner().unwrap_or_default() {
        let (read, from_cache) = match result {
            Ok(found) => found,
            Err(e) => {
                notes.push(format!("image {}: not scanned: {e}", pull.label()));
                continue;
            }
        };
        scanned += 1;
        cached += usize::from(from_cache);
        let scan = scan(
            pull.reference.clone(),
            read,
            from_cache,
            &databases,
            &today,
            options.store.as_deref(),
        )?;
        notes.extend(
            scan.notes
                .iter()
                .map(|n| format!("image {}: {n}", pull.label())),
        );
        if !scan.evaluated {
            // An OS kaudit does not match is not "no vulnerabilities": the image stays
            // unknown (the note above says why).
            continue;
        }
        let known = ImageVulnerabilities {
            os: Some(crate::vuln::Os {
                family: scan.os.family.clone(),
                release: scan.os.release.clone(),
                repository: None,
            })
            .filter(|os| !os.family.is_empty()),
            eosl: scan.os.eosl,
            vulnerabilities: scan.vulnerabilities,
            source: format!("kaudit's scan of {}", pull.label()),
        };
        known_images.push((pull, scan.digest, known));
    }
    // An image that runs on several platforms answers for its tag and digest with its most
    // vulnerable platform (never the cleanest by chance); a pod on a known node gets its own.
    known_images.sort_by_key(|(pull, _, known)| (known.vulnerabilities.len(), pull.label()));
    for (pull, digest, known) in known_images {
        let digests: Vec<String> = digest.into_iter().collect();
        if let Some(asked) = crate::image_ref::ImageRef::parse(&pull.reference)
            .and_then(|r| r.digest)
            .filter(|_| !pull.nodes.is_empty())
        {
            facts.insert_on_nodes(&pull.nodes, &asked, known.clone());
        }
        for alias in &pull.written_as {
            facts.insert(alias, &digests, known.clone());
        }
        facts.insert(&pull.reference, &digests, known);
    }
    notes.push(format!(
        "{scanned} of {} images scanned ({cached} from kaudit's per-digest cache) with {}",
        pulls.len(),
        databases.describe(crate::time::unix_now())
    ));
    Ok((facts, notes))
}

fn read_one(pull: &Pull, options: &ClusterScan) -> Result<(ImageContents, bool), String> {
    let registry = crate::image_ref::ImageRef::parse(&pull.reference)
        .map(|r| r.registry)
        .unwrap_or_default();
    let credentials = crate::registry::auth::from_docker_config(&registry)?;
    let platform = pull
        .platform
        .as_deref()
        .and_then(Platform::parse)
        .unwrap_or_else(|| options.platform.clone());
    read(
        &Target::Reference(pull.reference.clone()),
        &Options {
            platform,
            remote: RemoteOptions {
                insecure: options.insecure.clone(),
                timeout: options.timeout,
                credentials,
            },
            store: options.store.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_image_ids_become_references_to_pull() {
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            pullable(&format!("docker-pullable://nginx@{digest}")),
            Some(format!("nginx@{digest}"))
        );
        assert_eq!(
            pullable(&format!("docker.io/library/nginx@{digest}")),
            Some(format!("docker.io/library/nginx@{digest}"))
        );
        // An image ID names no manifest a registry serves.
        assert_eq!(pullable(&digest), None);
        assert_eq!(pullable("nginx:1.25"), None);
    }
}
