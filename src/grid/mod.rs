//! Hyperparameter grids: grid files expanded to points of `--set` overrides.

pub mod spec;

pub use spec::{Grid, GridPoint, load_grid};
