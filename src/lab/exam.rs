//! Practice exams: a set of tasks drawn with the curriculum's domain weights, a timer, and a
//! score against the pass mark once graded. Each attempt lives in the store from its start,
//! so a crash or a closed terminal resumes it.

use super::catalog::{self, DOMAINS, Task};
use super::grade::{self, Grade, Target};
use super::{Error, workdir};
use crate::store::{LabAttempt, Store};
use std::collections::BTreeMap;
use std::path::Path;

/// The CKS pass mark (percent).
pub const PASS_MARK: u32 = 67;
pub const DEFAULT_TASKS: usize = 16;
pub const DEFAULT_MINUTES: u32 = 120;

/// The tasks of an exam: `count` split across the domains by weight (largest remainder),
/// each domain's picked at random with `seed`. The same seed and catalog draw the same exam.
pub fn draw(tasks: &[Task], count: usize, seed: u64) -> Vec<Task> {
    let count = count.min(tasks.len());
    let available = |domain: &str| tasks.iter().filter(|t| t.domain == domain).count();
    // Seats per domain by weight, never more than the domain has.
    let total: u32 = DOMAINS.iter().map(|(_, w)| w).sum();
    let mut seats: Vec<(usize, usize, u64)> = DOMAINS
        .iter()
        .enumerate()
        .map(|(i, (domain, weight))| {
            let exact = count as u64 * u64::from(*weight) * 1000 / u64::from(total);
            let whole = ((exact / 1000) as usize).min(available(domain));
            (i, whole, exact % 1000)
        })
        .collect();
    let mut given: usize = seats.iter().map(|s| s.1).sum();
    // Remaining seats to the largest remainders, then to any domain with tasks left.
    seats.sort_by_key(|s| std::cmp::Reverse(s.2));
    while given < count {
        let Some(seat) = seats.iter_mut().find(|s| s.1 < available(DOMAINS[s.0].0)) else {
            break;
        };
        seat.1 += 1;
        given += 1;
        seats.sort_by_key(|s| (s.1 as u64 * 1000).wrapping_sub(s.2));
    }
    seats.sort_by_key(|s| s.0);
    let mut random = SplitMix(seed);
    let mut drawn = Vec::new();
    for (i, n, _) in seats {
        let mut pool: Vec<&Task> = tasks.iter().filter(|t| t.domain == DOMAINS[i].0).collect();
        for _ in 0..n {
            let pick = (random.next() % pool.len() as u64) as usize;
            drawn.push(pool.swap_remove(pick).clone());
        }
    }
    drawn
}

/// SplitMix64: a seed must draw the same exam on every build and platform, which a
/// general-purpose generator's stream does not promise across its versions.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A graded exam.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExamResult {
    /// Percent of the weighted points.
    pub score: u32,
    pub pass_mark: u32,
    pub passed: bool,
    pub tasks: Vec<TaskScore>,
    /// Per domain: tasks passed and drawn.
    pub domains: BTreeMap<String, (usize, usize)>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TaskScore {
    pub task: String,
    pub domain: String,
    pub passed: bool,
    /// The first criterion that failed, with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// Scores graded tasks: each domain is worth its weight, shared by its drawn tasks.
pub fn score(graded: &[(Task, Result<Grade, Error>)]) -> ExamResult {
    let mut domains: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (task, grade) in graded {
        let entry = domains.entry(task.domain.clone()).or_default();
        entry.1 += 1;
        if grade.as_ref().is_ok_and(|g| g.passed) {
            entry.0 += 1;
        }
    }
    let weight_of = |d: &str| f64::from(catalog::weight(d));
    let possible: f64 = domains.keys().map(|d| weight_of(d)).sum();
    let earned: f64 = domains
        .iter()
        .map(|(d, (passed, drawn))| weight_of(d) * *passed as f64 / *drawn as f64)
        .sum();
    let score = if possible > 0.0 {
        (earned * 100.0 / possible).round() as u32
    } else {
        0
    };
    let tasks = graded
        .iter()
        .map(|(task, grade)| TaskScore {
            task: task.id.clone(),
            domain: task.domain.clone(),
            passed: grade.as_ref().is_ok_and(|g| g.passed),
            failed: match grade {
                Ok(g) => g
                    .criteria
                    .iter()
                    .find(|c| !c.passed)
                    .map(|c| format!("{}: {}", c.name, c.reason)),
                Err(e) => Some(e.to_string()),
            },
        })
        .collect();
    ExamResult {
        score,
        pass_mark: PASS_MARK,
        passed: score >= PASS_MARK,
        tasks,
        domains,
    }
}

/// What `kaudit lab exam` asks for.
#[derive(Debug, Clone)]
pub struct ExamOptions {
    pub tasks: usize,
    pub minutes: u32,
    pub seed: u64,
}

/// Draws an exam, writes each task's scenario into `folder/<task>/` and records the attempt.
/// An attempt still open is returned instead (it resumes), with `false`.
pub fn start(
    store: &Store,
    folder: &Path,
    options: &ExamOptions,
) -> Result<(LabAttempt, bool), Error> {
    if let Some(open) = store.open_lab_attempt()? {
        return Ok((open, false));
    }
    let tasks = draw(&catalog::tasks()?, options.tasks, options.seed);
    let started = crate::time::now_rfc3339();
    let mut files = BTreeMap::new();
    for task in &tasks {
        for (rel, bytes) in workdir::scenario_files(task, &started, false) {
            files.insert(format!("{}/{rel}", task.id), bytes);
        }
    }
    files.insert(
        "EXAM.md".into(),
        exam_text(&tasks, options.minutes).into_bytes(),
    );
    workdir::write_files(folder, &files)?;
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let mut attempt = LabAttempt {
        id: 0,
        started,
        deadline: crate::time::unix_now() + i64::from(options.minutes) * 60,
        minutes: options.minutes,
        seed: options.seed,
        folder: folder.display().to_string(),
        tasks: tasks.iter().map(|t| t.id.clone()).collect(),
        finished: None,
        result: None,
    };
    attempt.id = store.start_lab_attempt(&attempt)?;
    Ok((attempt, true))
}

fn exam_text(tasks: &[Task], minutes: u32) -> String {
    let mut text = format!(
        "# CKS practice exam\n\n{} tasks, {minutes} minutes, pass mark {PASS_MARK}%. Each task is in its own folder with its TASK.md.\n`kaudit lab status` shows the time left; `kaudit lab exam --finish` grades everything.\n\n| # | task | domain | difficulty |\n| --- | --- | --- | --- |\n",
        tasks.len()
    );
    for (i, t) in tasks.iter().enumerate() {
        text.push_str(&format!(
            "| {} | {} ({}) | {} | {} |\n",
            i + 1,
            t.title,
            t.id,
            t.domain,
            t.difficulty.as_str()
        ));
    }
    text
}

/// Grades every task of the attempt from its folder.
pub fn grade_attempt(attempt: &LabAttempt) -> Vec<(Task, Result<Grade, Error>)> {
    let folder = Path::new(&attempt.folder);
    attempt
        .tasks
        .iter()
        .filter_map(|id| catalog::find(id).ok())
        .map(|task| {
            let grade = grade::check(&task, &folder.join(&task.id), &Target::Folder);
            (task, grade)
        })
        .collect()
}

/// Grades the open attempt and closes it in the store.
pub fn finish(store: &Store, attempt: &LabAttempt) -> Result<ExamResult, Error> {
    let result = score(&grade_attempt(attempt));
    let json = serde_json::to_string(&result).unwrap_or_default();
    store.finish_lab_attempt(attempt.id, &crate::time::now_rfc3339(), &json)?;
    Ok(result)
}

/// Seconds left on the attempt's timer (negative once it ran out).
pub fn seconds_left(attempt: &LabAttempt) -> i64 {
    attempt.deadline - crate::time::unix_now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, domain: &str) -> Task {
        let yaml = format!(
            "id: {id}\ndomain: {domain}\ntitle: t\ndifficulty: easy\nrules: [NET001]\nnamespace: n\ntext: Task\nhint: h\nexplanation: e\ncriteria: [{{clear: {{rule: NET001}}}}]\n"
        );
        let doc = crate::yaml::parse_document(crate::yaml::split_documents(&yaml)[0])
            .unwrap()
            .unwrap();
        crate::yaml::lenient::from_value(&doc.value).unwrap()
    }

    #[test]
    fn an_exam_follows_the_domain_weights_and_its_seed() {
        let mut tasks = Vec::new();
        for (domain, _) in DOMAINS {
            for i in 0..10 {
                tasks.push(task(&format!("{domain}-{i}"), domain));
            }
        }
        let exam = draw(&tasks, 20, 42);
        assert_eq!(exam.len(), 20);
        let count = |d: &str| exam.iter().filter(|t| t.domain == d).count();
        // 15/15/10/20/20/20 percent of 20 tasks.
        assert_eq!(
            DOMAINS.map(|(d, _)| count(d)),
            [3, 3, 2, 4, 4, 4],
            "seats follow the weights"
        );
        let again: Vec<_> = draw(&tasks, 20, 42).into_iter().map(|t| t.id).collect();
        assert_eq!(again, exam.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
        let other: Vec<_> = draw(&tasks, 20, 43).into_iter().map(|t| t.id).collect();
        assert_ne!(again, other, "another seed, another exam");
        // A domain with fewer tasks than its seats gives them to the others.
        let few: Vec<Task> = tasks
            .iter()
            .filter(|t| {
                !t.id
                    .ends_with(['1', '2', '3', '4', '5', '6', '7', '8', '9'])
                    || t.domain != DOMAINS[3].0
            })
            .cloned()
            .collect();
        let exam = draw(&few, 20, 1);
        assert_eq!(exam.len(), 20);
        assert_eq!(exam.iter().filter(|t| t.domain == DOMAINS[3].0).count(), 1);
    }

    #[test]
    fn each_domain_is_worth_its_weight() {
        let graded = vec![
            (task("a", DOMAINS[3].0), Err(Error::Folder("x".into()))),
            (task("b", DOMAINS[4].0), Err(Error::Folder("x".into()))),
        ];
        let result = score(&graded);
        assert_eq!(result.score, 0);
        assert!(!result.passed);
        assert_eq!(result.domains[DOMAINS[3].0], (0, 1));
    }
}
