//! The batch harness: many independent instances stepped in parallel, with
//! checkpoints and exact resume.

pub mod checkpoint;
pub mod instance;
pub mod records;
pub mod run;

pub use instance::Instance;
pub use run::{RunOptions, RunSummary, run, step_instances, worker_pool};
