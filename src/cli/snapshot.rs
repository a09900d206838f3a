//! `kaudit snapshot`: read the cluster and save what was read for an offline audit.

use super::{EXIT_OK, SnapshotArgs};
use crate::sanitize::strip_controls;
use std::io::Write;

pub fn run(args: &SnapshotArgs) -> anyhow::Result<u8> {
    let read = crate::sources::live::read_cluster_json(&args.cluster.live_options())?;
    // Written to a temporary name first so an interrupted run never leaves half a file
    // where a good snapshot was.
    let partial = args.output.with_extension("partial");
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        crate::sources::snapshot::write(&read, &crate::time::now_rfc3339(), &mut out)?;
        out.flush()?;
        std::fs::rename(&partial, &args.output)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        anyhow::anyhow!("cannot write {}: {e}", args.output.display())
    })?;
    eprintln!(
        "snapshot of context {} written to {}: {} objects in {} lists, {} not readable",
        strip_controls(&read.context),
        args.output.display(),
        read.stats.objects,
        read.stats.lists,
        read.gaps.len()
    );
    for note in &read.notes {
        eprintln!("kaudit: {}", strip_controls(note));
    }
    for gap in read.gaps.iter().take(20) {
        eprintln!(
            "kaudit: not read: {}: {}",
            strip_controls(&gap.scope()),
            strip_controls(&gap.reason)
        );
    }
    Ok(EXIT_OK)
}
