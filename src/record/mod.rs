//! Writing and reading files, for every experiment: HDF5 helpers, atomic
//! writes, statistics tables and polars frames, weights files, figures, the
//! run-directory lock, bench history and instruction budgets. It depends on
//! nothing in the crate but [`crate::error`]; what a result file or a
//! checkpoint holds is decided by the experiment that writes it
//! ([`crate::experiment`], [`crate::harness::checkpoint`]).

pub mod atomic;
pub mod codec;
pub mod frame;
pub mod h5;
pub mod machine;
pub mod plots;
pub mod run_lock;
pub mod stats;
pub mod weights_file;
