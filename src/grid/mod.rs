//! Hyperparameter grids: grid files expanded to points of `--set` overrides
//! ([`spec`]), validated with stable ids ([`point`]), split into shards
//! ([`shard`]), run resumably ([`runner`]) locally or as SLURM job arrays
//! ([`slurm`]), merged ([`merge`]), watched ([`status`]) and reported ([`report`]).

pub mod manifest;
pub mod merge;
pub mod point;
pub mod report;
pub mod runner;
pub mod shard;
pub mod slurm;
pub mod spec;
pub mod status;

pub use point::{PlannedGrid, load_planned_grid};
pub use shard::Shard;
pub use spec::{Grid, GridPoint, load_grid};
