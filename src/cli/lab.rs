//! `kaudit lab`: CKS practice tasks, their grading and practice exams.

use super::lab_args::LabAction;
use super::options::{ClusterArgs, DataDirOpts};
use super::{EXIT_FINDINGS, EXIT_OK, TextOrJson};
use crate::lab::exam::{self, ExamOptions, ExamResult};
use crate::lab::{self, Grade, Target, catalog};
use crate::sanitize::strip_controls;
use crate::store::Store;
use std::path::{Path, PathBuf};

pub fn run(action: LabAction) -> anyhow::Result<u8> {
    match action {
        LabAction::List { format } => list(format),
        LabAction::Start {
            task,
            dir,
            for_cluster: cluster,
        } => {
            let task = catalog::find(&task)?;
            let dir = dir.unwrap_or_else(|| PathBuf::from(&task.id));
            lab::start(&task, &dir, cluster)?;
            println!("{}", lab::workdir::task_text(&task, cluster));
            eprintln!(
                "kaudit: the scenario of {} is in {}",
                task.id,
                dir.display()
            );
            Ok(EXIT_OK)
        }
        LabAction::Check {
            task,
            dir,
            format,
            cluster,
        } => check(&cluster, task, dir, format),
        LabAction::Hint { task } => {
            let task = catalog::find(&task)?;
            println!("{}", task.hint.trim_end());
            Ok(EXIT_OK)
        }
        LabAction::Solution { task } => {
            let task = catalog::find(&task)?;
            println!(
                "# Reference solution of {}\n\n{}\n",
                task.id,
                task.explanation.trim_end()
            );
            for (path, bytes) in &task.solution {
                println!("## {path}\n\n{}", String::from_utf8_lossy(bytes).trim_end());
                println!();
            }
            Ok(EXIT_OK)
        }
        LabAction::Exam {
            dir,
            tasks,
            minutes,
            seed,
            finish,
            format,
            store,
        } => {
            let store = Store::open(&store.required_store_path()?)?;
            if finish {
                let Some(attempt) = store.open_lab_attempt()? else {
                    anyhow::bail!("no exam is open; start one with `kaudit lab exam`");
                };
                let result = exam::finish(&store, &attempt)?;
                return print_result(&result, format);
            }
            let options = ExamOptions {
                tasks,
                minutes,
                seed: seed.unwrap_or_else(|| crate::time::unix_now() as u64),
            };
            let (attempt, new) = exam::start(&store, &dir, &options)?;
            let verb = if new {
                "started"
            } else {
                "resumed (still open)"
            };
            println!(
                "exam {} {verb}: {} tasks in {}, {} left (seed {})",
                attempt.id,
                attempt.tasks.len(),
                strip_controls(&attempt.folder),
                clock(exam::seconds_left(&attempt)),
                attempt.seed
            );
            println!(
                "`kaudit lab status` shows the time left; `kaudit lab exam --finish` grades it."
            );
            Ok(EXIT_OK)
        }
        LabAction::Status { format, store } => status(&store, format),
    }
}

fn list(format: TextOrJson) -> anyhow::Result<u8> {
    let tasks = catalog::tasks()?;
    if format == TextOrJson::Json {
        let rows: Vec<_> = tasks
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id, "domain": t.domain, "title": t.title,
                    "difficulty": t.difficulty, "rules": t.rules, "namespace": t.namespace,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(EXIT_OK);
    }
    let mut domain = "";
    for t in &tasks {
        if t.domain != domain {
            domain = &t.domain;
            println!("\n{} ({}% of the exam)", domain, catalog::weight(domain));
        }
        println!(
            "  {:<28} {:<7} {}  [{}]",
            t.id,
            t.difficulty.as_str(),
            t.title,
            t.rules.join(", ")
        );
    }
    println!(
        "\n{} tasks. `kaudit lab start TASK DIR` writes one.",
        tasks.len()
    );
    Ok(EXIT_OK)
}

fn check(
    cluster: &ClusterArgs,
    task: Option<String>,
    dir: Option<PathBuf>,
    format: TextOrJson,
) -> anyhow::Result<u8> {
    // `lab check DIR` inside a work folder kaudit wrote: the one argument is the folder.
    let (task, dir) = match (task, dir) {
        (Some(t), None) if Path::new(&t).join(lab::workdir::MARKER).is_file() => {
            (None, PathBuf::from(t))
        }
        (task, dir) => (task, dir.unwrap_or_else(|| PathBuf::from("."))),
    };
    let target = if cluster.named() {
        Target::Cluster(cluster.live_options())
    } else {
        Target::Folder
    };
    let grade = lab::check(task.as_deref(), &dir, &target)?;
    if format == TextOrJson::Json {
        println!("{}", serde_json::to_string_pretty(&grade)?);
    } else {
        print_grade(&grade);
    }
    Ok(if grade.passed { EXIT_OK } else { EXIT_FINDINGS })
}

fn print_grade(grade: &Grade) {
    for c in &grade.criteria {
        let mark = if c.passed { "PASS" } else { "FAIL" };
        println!("{mark}  {}", strip_controls(&c.name));
        println!("      {}", strip_controls(&c.reason));
        if let Some(evidence) = &c.evidence {
            println!("      at {}", strip_controls(evidence));
        }
        if let Some(hint) = &c.hint {
            let lines: Vec<_> = hint.trim_end().lines().map(strip_controls).collect();
            let hint = lines.join("\n            ");
            println!("      hint: {hint}");
        }
    }
    let verdict = if grade.passed {
        "passed"
    } else {
        "not passed yet"
    };
    println!("\n{}: {verdict}", grade.task);
}

fn print_result(result: &ExamResult, format: TextOrJson) -> anyhow::Result<u8> {
    if format == TextOrJson::Json {
        println!("{}", serde_json::to_string_pretty(result)?);
    } else {
        for t in &result.tasks {
            let mark = if t.passed { "PASS" } else { "FAIL" };
            println!("{mark}  {:<28} {}", t.task, t.domain);
            if let Some(why) = &t.failed {
                println!("      {}", strip_controls(why));
            }
        }
        println!();
        for (domain, (passed, drawn)) in &result.domains {
            println!("  {domain}: {passed}/{drawn}");
        }
        let verdict = if result.passed {
            "PASSED"
        } else {
            "NOT PASSED"
        };
        println!(
            "\nscore {}% (pass mark {}%): {verdict}",
            result.score, result.pass_mark
        );
    }
    Ok(if result.passed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn clock(seconds: i64) -> String {
    if seconds <= 0 {
        return "no time".into();
    }
    format!("{}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// The open exam (graded when its time is up) and the past attempts, per domain.
fn status(store: &DataDirOpts, format: TextOrJson) -> anyhow::Result<u8> {
    let store = Store::open(&store.required_store_path()?)?;
    let mut open = store.open_lab_attempt()?;
    if let Some(attempt) = &open
        && exam::seconds_left(attempt) <= 0
    {
        eprintln!("kaudit: exam {}'s time is up; grading it", attempt.id);
        exam::finish(&store, attempt)?;
        open = None;
    }
    let past = store.lab_attempts()?;
    if format == TextOrJson::Json {
        let attempts: Vec<_> = past
            .iter()
            .map(|a| {
                serde_json::json!({
                    "id": a.id, "started": a.started, "minutes": a.minutes, "seed": a.seed,
                    "tasks": a.tasks, "finished": a.finished,
                    "result": a.result.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()),
                })
            })
            .collect();
        let open = open.as_ref().map(|a| {
            serde_json::json!({"id": a.id, "seconds_left": exam::seconds_left(a), "folder": a.folder, "tasks": a.tasks})
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"open": open, "attempts": attempts}))?
        );
        return Ok(EXIT_OK);
    }
    match &open {
        Some(a) => {
            println!(
                "exam {} open: {} left, {} tasks in {}",
                a.id,
                clock(exam::seconds_left(a)),
                a.tasks.len(),
                strip_controls(&a.folder)
            );
            for id in &a.tasks {
                println!("  {id}");
            }
        }
        None => println!("no exam open (`kaudit lab exam` starts one)"),
    }
    let finished: Vec<_> = past.iter().filter(|a| a.finished.is_some()).collect();
    if !finished.is_empty() {
        println!("\npast attempts:");
    }
    for a in finished {
        let Some(result) = a
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<ExamResult>(r).ok())
        else {
            continue;
        };
        let domains: Vec<String> = result
            .domains
            .iter()
            .map(|(d, (p, n))| format!("{d} {p}/{n}"))
            .collect();
        println!(
            "  {} {} {:>3}% {}  {}",
            a.id,
            a.started,
            result.score,
            if result.passed { "pass" } else { "fail" },
            domains.join(", ")
        );
    }
    Ok(EXIT_OK)
}
