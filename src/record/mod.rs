//! Everything that leaves the process as a file: weights, statistics, result
//! files, figures, the run-directory lock. (Checkpoints are written by the
//! experiments that own their state: `harness::checkpoint`,
//! `experiment::dc_checkpoint`.)

pub mod atomic;
pub mod bench_history;
pub mod frame;
pub mod h5;
pub mod icount;
pub mod plots;
pub mod result_file;
pub mod run_lock;
pub mod stats;
pub mod weights_file;
