//! The benchmarks' one way to summarise runs.

use std::time::Duration;

/// The middle of the samples (the upper one of an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
