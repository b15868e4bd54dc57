//! Networks assembled from neurons and synapses (wiring and stepping, no I/O).

pub mod delays;
pub mod diehl_cook;
pub mod frozen;
pub mod readout;
pub mod ridge;
pub mod state;
