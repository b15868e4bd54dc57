//! Everything that leaves the process as a file: weights, results, checkpoints.

pub mod atomic;
pub mod weights_file;
