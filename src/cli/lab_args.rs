//! `kaudit lab`'s arguments.

use super::TextOrJson;
use super::options::{ClusterArgs, DataDirOpts};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    pub action: LabAction,
}

#[derive(Subcommand, Debug, Clone)]
pub enum LabAction {
    /// List the tasks by CKS domain.
    List {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Write a task's scenario into DIR (new or empty; default: a folder named after the task).
    Start {
        task: String,
        dir: Option<PathBuf>,
        /// Write it for `kubectl apply` to a practice cluster; grade with `lab check --context`.
        #[arg(long = "for-cluster")]
        for_cluster: bool,
    },
    /// Grade a work folder (TASK optional inside one kaudit wrote); with --context or
    /// --kubeconfig, grade the live cluster read-only (audit log and answers from DIR).
    Check {
        task: Option<String>,
        dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// A task's hint.
    Hint { task: String },
    /// A task's reference solution and why it is right.
    Solution { task: String },
    /// A practice exam: tasks drawn by domain weight, a timer, graded at the end and kept
    /// in the store. An attempt still open is resumed.
    Exam {
        /// Where the tasks are written (one folder each).
        #[arg(default_value = "kaudit-exam")]
        dir: PathBuf,
        #[arg(long, default_value_t = crate::lab::exam::DEFAULT_TASKS)]
        tasks: usize,
        #[arg(long, default_value_t = crate::lab::exam::DEFAULT_MINUTES)]
        minutes: u32,
        /// The draw's seed (default: from the clock); the same seed draws the same exam.
        #[arg(long)]
        seed: Option<u64>,
        /// Grade the open attempt now and close it.
        #[arg(long)]
        finish: bool,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[command(flatten)]
        store: DataDirOpts,
    },
    /// The open exam's time left and tasks, and past attempts' scores per domain.
    Status {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[command(flatten)]
        store: DataDirOpts,
    },
}
