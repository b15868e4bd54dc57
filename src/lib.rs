//! # stdp-harness
//!
//! A research harness for spike-timing-dependent plasticity (STDP).
//!
//! - [`synapse::exp_stdp`]: the exponential weight-dependent STDP rule of
//!   ngclearn's older `ExpSTDPSynapse` — validated parameters, pure kernels
//!   (`evolve`, `compute_layer`) and the component with its compartments.
//! - [`blas`]: the single door to OpenBLAS, with a call counter that proves
//!   which products run through it.
//! - [`record`]: files that leave the process (weights as `.npz` / HDF5),
//!   written atomically.
//!
//! Everything is `f32`, as the reference implementation is.
#![warn(missing_docs)]

// Links OpenBLAS (through openblas-src's `system` feature) into every binary.
extern crate blas_src;

pub mod blas;
pub mod demo;
pub mod error;
pub mod math;
pub mod par;
pub mod record;
pub mod synapse;
pub mod workload;

pub use error::{Error, Result};
pub use par::Par;
