//! `kaudit lab`: every task's reference solution passes its grader and the untouched
//! scenario does not; deleting the workloads never passes; the command-line contract, bad
//! work folders, and exams kept in the store.

use kaudit::lab::{self, Target, catalog, workdir};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn kaudit(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaudit"))
        .args(args)
        .env("KAUDIT_DATA_DIR", data)
        .env_remove("KAUDIT_LAB_TASKS")
        .output()
        .expect("run kaudit")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

/// Whether a manifest file holds something that runs pods.
fn has_workload(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    [
        "Pod",
        "Deployment",
        "DaemonSet",
        "StatefulSet",
        "Job",
        "CronJob",
        "ReplicaSet",
    ]
    .iter()
    .any(|k| text.lines().any(|l| l.trim() == format!("kind: {k}")))
}

#[test]
fn every_task_fails_untouched_and_passes_with_its_reference_solution() {
    let tasks = catalog::tasks().expect("every task reads");
    assert!(!tasks.is_empty());
    for task in &tasks {
        let dir = tempfile::tempdir().unwrap();
        let untouched = dir.path().join("untouched");
        lab::start(task, &untouched, false).unwrap();
        let grade = lab::check(None, &untouched, &Target::Folder).unwrap();
        assert!(!grade.passed, "{}: the untouched scenario passes", task.id);
        let own: Vec<_> = grade.criteria.iter().filter(|c| !c.passed).collect();
        assert!(
            own.iter().all(|c| c.name != "the work folder reads"),
            "{}: the scenario does not read: {own:?}",
            task.id
        );

        let solved = dir.path().join("solved");
        workdir::write_files(&solved, &task.solved()).unwrap();
        let grade = lab::check(Some(&task.id), &solved, &Target::Folder).unwrap();
        assert!(
            grade.passed,
            "{}: the reference solution fails: {:#?}",
            task.id, grade.criteria
        );

        // The solution with its workloads deleted: never a pass, and the reason says so.
        let mut gutted = task.solved();
        gutted.retain(|path, bytes| !(path.starts_with("manifests/") && has_workload(bytes)));
        assert!(
            gutted.len() < task.solved().len(),
            "{}: no workload in its manifests",
            task.id
        );
        gutted.insert("manifests/emptied.yaml".into(), Vec::new());
        let deleted = dir.path().join("deleted");
        workdir::write_files(&deleted, &gutted).unwrap();
        let grade = lab::check(Some(&task.id), &deleted, &Target::Folder).unwrap();
        assert!(!grade.passed, "{}: deleting the workloads passes", task.id);
        let intact = grade
            .criteria
            .iter()
            .find(|c| c.name == "the workloads still do their job")
            .unwrap();
        assert!(
            !intact.passed && intact.reason.contains("is gone"),
            "{}: {intact:?}",
            task.id
        );
    }
}

/// Each task's near misses (`partial/<name>/`): written over the reference solution, they
/// fail exactly the criteria their MISSES names, so a criterion can neither be skipped nor
/// fail for a reason other than its own.
#[test]
fn every_partial_solution_fails_exactly_the_criteria_it_misses() {
    let tasks = catalog::tasks().unwrap();
    for task in &tasks {
        assert!(
            !task.partials.is_empty(),
            "{}: no partial solution (partial/<name>/MISSES)",
            task.id
        );
        for (name, partial) in &task.partials {
            let mut files = task.solved();
            files.extend(partial.files.clone());
            let dir = tempfile::tempdir().unwrap();
            workdir::write_files(dir.path(), &files).unwrap();
            let grade = lab::check(Some(&task.id), dir.path(), &Target::Folder).unwrap();
            let failed: Vec<&str> = grade
                .criteria
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.name.as_str())
                .collect();
            let mut expected: Vec<&str> = partial.misses.iter().map(String::as_str).collect();
            let mut got = failed.clone();
            expected.sort_unstable();
            got.sort_unstable();
            assert_eq!(
                got, expected,
                "{}: partial/{name} fails other criteria: {:#?}",
                task.id, grade.criteria
            );
            assert!(!grade.passed, "{}: partial/{name} passes", task.id);
            for c in grade.criteria.iter().filter(|c| !c.passed) {
                assert!(!c.reason.is_empty(), "{}: {} says no why", task.id, c.name);
            }
        }
    }
}

/// Other right answers (`alternative/<name>/`) pass as the reference solution does: the
/// grader asks for what the task says, not for one way of writing it.
#[test]
fn every_alternative_solution_passes() {
    let tasks = catalog::tasks().unwrap();
    let mut seen = 0;
    for task in &tasks {
        for (name, overlay) in &task.alternatives {
            let mut files = task.solved();
            files.extend(overlay.clone());
            let dir = tempfile::tempdir().unwrap();
            workdir::write_files(dir.path(), &files).unwrap();
            let grade = lab::check(Some(&task.id), dir.path(), &Target::Folder).unwrap();
            assert!(
                grade.passed,
                "{}: alternative/{name} fails: {:#?}",
                task.id, grade.criteria
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "no alternative solution is checked");
}

#[test]
fn tasks_name_their_domain_difficulty_and_rules() {
    let tasks = catalog::tasks().unwrap();
    for task in &tasks {
        assert!(catalog::weight(&task.domain) > 0, "{}", task.id);
        assert!(!task.rules.is_empty(), "{}", task.id);
        for rule in &task.rules {
            assert!(kaudit::rules::find(rule).is_some(), "{}: {rule}", task.id);
        }
        assert!(
            task.text.contains("Task"),
            "{}: the text says what to do",
            task.id
        );
    }
    let ids: std::collections::BTreeSet<_> = tasks.iter().map(|t| &t.id).collect();
    assert_eq!(ids.len(), tasks.len(), "ids are unique");
}

#[test]
fn a_partial_solution_fails_on_the_criterion_it_misses() {
    // default-deny: a policy with the right name that denies only ingress leaves egress open.
    let task = catalog::find("default-deny").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = task.solved();
    let ingress_only = String::from_utf8(files["manifests/default-deny.yaml"].clone())
        .unwrap()
        .replace("    - Egress\n", "");
    files.insert(
        "manifests/default-deny.yaml".into(),
        ingress_only.into_bytes(),
    );
    workdir::write_files(dir.path(), &files).unwrap();
    let grade = lab::check(Some("default-deny"), dir.path(), &Target::Folder).unwrap();
    let failed: Vec<_> = grade.criteria.iter().filter(|c| !c.passed).collect();
    assert!(!grade.passed);
    assert!(
        failed.iter().any(|c| c.reason.contains("Egress")),
        "the egress criterion says what it wanted: {failed:#?}"
    );
}

#[test]
fn list_and_check_follow_the_contract() {
    let data = tempfile::tempdir().unwrap();
    let out = kaudit(data.path(), &["lab", "list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list = json(&out);
    let first = &list.as_array().unwrap()[0];
    for key in ["id", "domain", "title", "difficulty"] {
        assert!(first[key].is_string(), "{key} in {first}");
    }

    let work = data.path().join("work");
    let work_s = work.to_str().unwrap();
    let out = kaudit(data.path(), &["lab", "start", "default-deny", work_s]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(work.join("TASK.md").is_file() && work.join("manifests").is_dir());
    // Starting again into the same folder overwrites nothing.
    let out = kaudit(data.path(), &["lab", "start", "default-deny", work_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    let out = kaudit(
        data.path(),
        &["lab", "check", "default-deny", work_s, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let grade = json(&out);
    assert_eq!(grade["task"], "default-deny");
    assert_eq!(grade["passed"], false);
    for c in grade["criteria"].as_array().unwrap() {
        assert!(c["name"].is_string() && c["passed"].is_boolean() && c["reason"].is_string());
    }

    let task = catalog::find("default-deny").unwrap();
    for (path, bytes) in &task.solution {
        std::fs::write(work.join(path), bytes).unwrap();
    }
    // The folder alone: its marker names the task.
    let out = kaudit(data.path(), &["lab", "check", work_s, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["passed"], true);

    let out = kaudit(data.path(), &["lab", "solution", "default-deny"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("podSelector"));
    let out = kaudit(data.path(), &["lab", "check", "no-such-task", work_s]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_broken_work_folder_is_named_and_the_rest_still_graded() {
    let task = catalog::find("default-deny").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = task.solved();
    files.insert(
        "manifests/broken.yaml".into(),
        b"kind: [unclosed\n  - : :".to_vec(),
    );
    workdir::write_files(dir.path(), &files).unwrap();
    let grade = lab::check(Some("default-deny"), dir.path(), &Target::Folder).unwrap();
    assert!(!grade.passed);
    let reads = &grade.criteria[0];
    assert_eq!(reads.name, "the work folder reads");
    assert!(reads.reason.contains("broken.yaml"), "{reads:?}");
    // The objects that read were still graded.
    assert!(
        grade.criteria.iter().skip(1).all(|c| c.passed),
        "{:#?}",
        grade.criteria
    );

    // A manifests folder deleted: an error that says how to start again.
    std::fs::remove_dir_all(dir.path().join("manifests")).unwrap();
    let err = lab::check(Some("default-deny"), dir.path(), &Target::Folder).unwrap_err();
    assert!(err.to_string().contains("kaudit lab start"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_planted_link_is_never_written_through() {
    let task = catalog::find("default-deny").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let link = dir.path().join("work");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    assert!(lab::start(&task, &link, false).is_err());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn an_exam_is_drawn_resumed_after_a_crash_and_graded_into_the_store() {
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().join("exam");
    let folder_s = folder.to_str().unwrap();
    let out = kaudit(
        data.path(),
        &[
            "lab",
            "exam",
            folder_s,
            "--tasks",
            "3",
            "--minutes",
            "30",
            "--seed",
            "7",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("started"));
    assert!(folder.join("EXAM.md").is_file());

    // Another `lab exam` (after a crash, a closed terminal) resumes the open attempt.
    let out = kaudit(data.path(), &["lab", "exam", folder_s]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("resumed"),
        "{out:?}"
    );
    let status = json(&kaudit(data.path(), &["lab", "status", "--format", "json"]));
    let open = &status["open"];
    let tasks = open["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3.min(catalog::tasks().unwrap().len()));
    assert!(open["seconds_left"].as_i64().unwrap() > 25 * 60);

    // Solve the first task only, then finish: graded, kept, and closed.
    let first = catalog::find(tasks[0].as_str().unwrap()).unwrap();
    let first_dir = folder.join(&first.id);
    for (path, bytes) in &first.solution {
        let target = first_dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    let out = kaudit(
        data.path(),
        &["lab", "exam", "--finish", "--format", "json"],
    );
    let result = json(&out);
    let graded = result["tasks"].as_array().unwrap();
    assert_eq!(graded[0]["passed"], true, "{result}");
    assert!(graded[1..].iter().all(|t| t["passed"] == false));
    assert_eq!(result["pass_mark"], 67);
    assert_eq!(
        out.status.code(),
        Some(if result["passed"] == true { 0 } else { 1 })
    );
    let status = json(&kaudit(data.path(), &["lab", "status", "--format", "json"]));
    assert!(status["open"].is_null());
    assert_eq!(status["attempts"][0]["result"]["score"], result["score"]);
}

#[test]
fn an_answer_file_with_garbage_fails_with_its_line_and_a_wrong_answer_is_named() {
    let task = catalog::find("audit-who-exec").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = task.scenario.clone();
    files.insert(
        "answer.yaml".into(),
        b"user: [\"unclosed\n\x1b]0;pwned\x07".to_vec(),
    );
    workdir::write_files(dir.path(), &files).unwrap();
    let grade = lab::check(Some(&task.id), dir.path(), &Target::Folder).unwrap();
    let user = grade
        .criteria
        .iter()
        .find(|c| c.name == "the user is right")
        .unwrap();
    assert!(
        !user.passed && user.reason.contains("answer.yaml:"),
        "{user:?}"
    );

    // Right answers but one: only that one fails, saying what was given.
    let solved = task.solved();
    let right = String::from_utf8(solved["answer.yaml"].clone()).unwrap();
    let wrong_pod: String = right
        .lines()
        .map(|l| {
            if l.starts_with("pod:") {
                "pod: treasury-api-0".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    files.insert("answer.yaml".into(), wrong_pod.into_bytes());
    let dir = tempfile::tempdir().unwrap();
    workdir::write_files(dir.path(), &files).unwrap();
    let grade = lab::check(Some(&task.id), dir.path(), &Target::Folder).unwrap();
    let failed: Vec<_> = grade
        .criteria
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["the pod is right"], "{:#?}", grade.criteria);
}
