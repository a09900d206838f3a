//! Lab benchmarks: how long `c` (a task's check) takes, so the grader answers at the speed
//! of an edit-and-check loop (target: every task under 200 ms, the median under 50 ms),
//! and grading a whole 16-task exam at the end (target: under 2 s).
//!
//! Run with `cargo bench --bench lab`. Prints each task's median of several runs, slowest
//! first, then the exam.

use kaudit::lab::{self, Target, catalog, workdir};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/timing.rs"]
mod timing;
use timing::median;

fn main() {
    let tasks = catalog::tasks().expect("the tasks read");
    let root = tempfile::tempdir().unwrap();
    let mut timings = Vec::new();
    for task in &tasks {
        let dir = root.path().join(&task.id);
        workdir::write_files(&dir, &task.solved()).unwrap();
        let samples = (0..7)
            .map(|_| {
                let start = Instant::now();
                let grade = lab::check(Some(&task.id), &dir, &Target::Folder).unwrap();
                let took = start.elapsed();
                assert!(grade.passed, "{}: the solution fails", task.id);
                took
            })
            .collect();
        timings.push((median(samples), task.id.clone()));
    }
    timings.sort_by(|a, b| b.cmp(a));
    for (took, id) in &timings {
        println!("check {id:<30} {:>7.1} ms", took.as_secs_f64() * 1e3);
    }
    let all = median(timings.iter().map(|t| t.0).collect());
    let worst = timings[0].0;
    println!(
        "check: median {:.1} ms (target < 50), slowest {:.1} ms (target < 200) over {} tasks",
        all.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        timings.len()
    );

    // An exam: 16 tasks drawn as `kaudit lab exam` draws them, graded one after another.
    let drawn = lab::exam::draw(&tasks, lab::exam::DEFAULT_TASKS, 7);
    let start = Instant::now();
    for task in &drawn {
        let dir = root.path().join(&task.id);
        lab::check(Some(&task.id), &dir, &Target::Folder).unwrap();
    }
    println!(
        "exam: {} tasks graded in {:.2} s (target < 2)",
        drawn.len(),
        start.elapsed().as_secs_f64()
    );
}
