//! The lab's tasks: each a folder under `assets/lab/` (compiled in) with `task.yaml` (the text,
//! its domain and the pass criteria), `scenario/` (the files the student starts from) and
//! `solution/` (the reference solution, files that replace the scenario's).
//!
//! `KAUDIT_LAB_TASKS=DIR` reads the tasks from a folder instead, so a task author sees an edit
//! without rebuilding kaudit.

use super::Error;
use super::criteria::Criterion;
use crate::rules::cks;
use include_dir::{Dir, include_dir};
use std::collections::BTreeMap;
use std::path::Path;

static TASKS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/lab");

/// The six CKS domains as the curriculum spells them, with their exam weight (percent).
pub const DOMAINS: [(&str, u32); 6] = [
    (cks::CLUSTER_SETUP, 15),
    (cks::CLUSTER_HARDENING, 15),
    (cks::SYSTEM_HARDENING, 10),
    (cks::MICROSERVICE, 20),
    (cks::SUPPLY_CHAIN, 20),
    (cks::RUNTIME, 20),
];

/// A domain's exam weight; 0 for a name that is not one.
pub fn weight(domain: &str) -> u32 {
    DOMAINS
        .iter()
        .find(|(name, _)| *name == domain)
        .map_or(0, |(_, w)| *w)
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

/// How the audit of a task's folder is configured.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskOptions {
    /// The Pod Security Standards version the PSS rules use (`v1.30`, `latest`).
    #[serde(default)]
    pub pss_version: Option<String>,
    /// The registries the scenario's organisation trusts (IMG003).
    #[serde(default)]
    pub allowed_registries: Vec<String>,
    /// How "the same image" is told when the task changes where images come from:
    /// `repository` (registry and path, the default) or `name` (the last part of the path:
    /// the image may move to another registry or mirror).
    #[serde(default)]
    pub same_image: SameImage,
    /// Container ports the task is about closing (an SSH port): they may go.
    #[serde(default)]
    pub removable_ports: Vec<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameImage {
    #[default]
    Repository,
    Name,
}

/// One task as `task.yaml` writes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub difficulty: Difficulty,
    /// The kaudit rules the task exercises.
    pub rules: Vec<String>,
    /// The namespace the task is set in (the exam text's "namespace").
    pub namespace: String,
    /// The task as the exam would write it: context, what to achieve, where to answer.
    pub text: String,
    pub hint: String,
    /// Why the reference solution is right: shown only on request.
    pub explanation: String,
    #[serde(default)]
    pub options: TaskOptions,
    pub criteria: Vec<Criterion>,
    /// The scenario's files by path in the work folder (not in `task.yaml`).
    #[serde(skip)]
    pub scenario: BTreeMap<String, Vec<u8>>,
    /// The reference solution's files: they replace (or add to) the scenario's.
    #[serde(skip)]
    pub solution: BTreeMap<String, Vec<u8>>,
    /// Near misses, by name: each one's files over the solved folder fail exactly the
    /// criteria it names (the tests hold the grader to them).
    #[serde(skip)]
    pub partials: BTreeMap<String, Partial>,
    /// Other right answers, by name (`alternative/<name>/`): each one's files over the
    /// solved folder must pass too, so the grader is not stricter than the task.
    #[serde(skip)]
    pub alternatives: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

/// A realistic wrong attempt (`partial/<name>/`): files written over the solved folder, and
/// `MISSES`, the names of the criteria it must fail, one a line.
#[derive(Debug, Clone, Default)]
pub struct Partial {
    pub misses: Vec<String>,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Task {
    pub fn weight(&self) -> u32 {
        weight(&self.domain)
    }

    /// The scenario with the reference solution written over it.
    pub fn solved(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = self.scenario.clone();
        files.extend(self.solution.clone());
        files
    }
}

/// Every task, in domain order then by id; tasks that do not read are an error naming them.
pub fn tasks() -> Result<Vec<Task>, Error> {
    let mut tasks = match std::env::var_os("KAUDIT_LAB_TASKS") {
        Some(dir) => from_disk(Path::new(&dir))?,
        None => embedded()?,
    };
    tasks.sort_by(|a, b| (domain_rank(&a.domain), &a.id).cmp(&(domain_rank(&b.domain), &b.id)));
    Ok(tasks)
}

/// The task of this id (or unique id prefix).
pub fn find(id: &str) -> Result<Task, Error> {
    let mut tasks = tasks()?;
    if let Some(i) = tasks.iter().position(|t| t.id == id) {
        return Ok(tasks.swap_remove(i));
    }
    let mut matching: Vec<Task> = tasks.into_iter().filter(|t| t.id.starts_with(id)).collect();
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 => Err(Error::NoSuchTask(id.to_string())),
        _ => Err(Error::Ambiguous {
            id: id.to_string(),
            tasks: matching.into_iter().map(|t| t.id).collect(),
        }),
    }
}

fn domain_rank(domain: &str) -> usize {
    DOMAINS
        .iter()
        .position(|(name, _)| *name == domain)
        .unwrap_or(DOMAINS.len())
}

fn embedded() -> Result<Vec<Task>, Error> {
    let mut tasks = Vec::new();
    for dir in TASKS.dirs() {
        let mut files = BTreeMap::new();
        collect_embedded(dir, dir.path(), &mut files);
        tasks.push(assemble(&dir.path().display().to_string(), files)?);
    }
    Ok(tasks)
}

fn collect_embedded(dir: &Dir<'_>, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for file in dir.files() {
        if let Ok(rel) = file.path().strip_prefix(root) {
            out.insert(slash_path(rel), file.contents().to_vec());
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, root, out);
    }
}

fn from_disk(root: &Path) -> Result<Vec<Task>, Error> {
    let mut tasks = Vec::new();
    let entries = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.join("task.yaml").is_file() {
            continue;
        }
        let mut files = BTreeMap::new();
        for file in walkdir::WalkDir::new(&dir).follow_links(false).max_depth(8) {
            let file = file.map_err(|e| Error::Task(dir.display().to_string(), e.to_string()))?;
            if !file.file_type().is_file() {
                continue;
            }
            let bytes = super::workdir::read_bounded(file.path())?;
            if let Ok(rel) = file.path().strip_prefix(&dir) {
                files.insert(slash_path(rel), bytes);
            }
        }
        tasks.push(assemble(&dir.display().to_string(), files)?);
    }
    Ok(tasks)
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A task from its folder's files: `task.yaml`, `scenario/...`, `solution/...`.
fn assemble(folder: &str, files: BTreeMap<String, Vec<u8>>) -> Result<Task, Error> {
    let bad = |message: String| Error::Task(folder.to_string(), message);
    let text = files
        .get("task.yaml")
        .ok_or_else(|| bad("no task.yaml".into()))?;
    let text = std::str::from_utf8(text).map_err(|_| bad("task.yaml is not UTF-8".into()))?;
    let doc = crate::yaml::split_documents(text)
        .first()
        .map(|d| crate::yaml::parse_document(*d))
        .transpose()
        .map_err(|e| bad(format!("task.yaml:{}: {}", e.line, e.message)))?
        .flatten()
        .ok_or_else(|| bad("task.yaml is empty".into()))?;
    let mut task: Task = crate::yaml::lenient::from_value_with_path(&doc.value)
        .map_err(|(path, e)| bad(format!("task.yaml: {path}: {e}")))?;
    for (path, bytes) in files {
        if let Some(rel) = path.strip_prefix("scenario/") {
            task.scenario.insert(rel.to_string(), bytes);
        } else if let Some(rel) = path.strip_prefix("solution/") {
            task.solution.insert(rel.to_string(), bytes);
        } else if let Some((name, rel)) = path
            .strip_prefix("alternative/")
            .and_then(|p| p.split_once('/'))
        {
            task.alternatives
                .entry(name.to_string())
                .or_default()
                .insert(rel.to_string(), bytes);
        } else if let Some((name, rel)) = path
            .strip_prefix("partial/")
            .and_then(|p| p.split_once('/'))
        {
            let partial = task.partials.entry(name.to_string()).or_default();
            if rel == "MISSES" {
                partial.misses = String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
            } else {
                partial.files.insert(rel.to_string(), bytes);
            }
        }
    }
    validate(&task).map_err(bad)?;
    Ok(task)
}

/// What every task must hold to be gradable; checked when tasks are read (and by the tests).
fn validate(task: &Task) -> Result<(), String> {
    if weight(&task.domain) == 0 {
        return Err(format!(
            "domain {:?} is not a CKS domain ({})",
            task.domain,
            DOMAINS.map(|(d, _)| d).join("; ")
        ));
    }
    for rule in &task.rules {
        if crate::rules::find(rule).is_none() {
            return Err(format!("unknown rule {rule:?}"));
        }
    }
    if task.criteria.is_empty() {
        return Err("no criteria".into());
    }
    if task.scenario.is_empty() || task.solution.is_empty() {
        return Err("a task needs scenario/ and solution/ files".into());
    }
    for criterion in &task.criteria {
        criterion.validate()?;
    }
    for (name, partial) in &task.partials {
        if partial.misses.is_empty() || partial.files.is_empty() {
            return Err(format!(
                "partial/{name} needs files and a MISSES naming the criteria it fails"
            ));
        }
    }
    Ok(())
}
