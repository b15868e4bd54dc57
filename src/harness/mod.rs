//! The batch harness: many independent instances stepped in parallel, with
//! checkpoints and exact resume.

pub mod checkpoint;
pub mod instance;
pub mod records;
pub mod step;

pub use instance::Instance;
pub use step::{step_instances, worker_pool};
