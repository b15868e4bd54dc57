//! # stdp-harness
//!
//! A research harness for spike-timing-dependent plasticity (STDP).
//!
//! - [`synapse::exp_stdp`]: the exponential weight-dependent STDP rule of
//!   ngclearn's older `ExpSTDPSynapse` — validated parameters, pure kernels
//!   (`evolve`, `compute_layer`) and the component with its compartments.
//! - [`blas`]: the single door to OpenBLAS, with a call counter that proves
//!   which products run through it.
//! - [`config`] → [`harness`] → [`record`]: TOML experiment configs are
//!   validated into a plan, run as many independent instances in parallel
//!   (checkpointed, resumable), and recorded as Parquet statistics and HDF5
//!   result files, written atomically.
//!
//! Everything is `f32`, as the reference implementation is.
//!
//! ```
//! use ndarray::array;
//! use stdp_harness::synapse::exp_stdp::{Compartment, ExpStdpParams, ExpStdpSynapse, UniformInit};
//!
//! let params = ExpStdpParams { eta: 0.01, ..ExpStdpParams::default() }.check()?;
//! let mut syn = ExpStdpSynapse::new("exc", (3, 2), params, &UniformInit::seeded(0))?;
//! syn.set(Compartment::In, array![[1.0, 0.0, 1.0]])?;
//! syn.verify_connections()?;
//! syn.advance_state()?; // out = in · W
//! syn.set(Compartment::XPre, array![[1.0, 0.3, 1.0]])?;
//! syn.set(Compartment::XPost, array![[0.5, 0.0]])?;
//! let before = syn.weights().clone();
//! syn.evolve()?; // the rule with post = out
//! assert_ne!(syn.weights(), &before);
//! assert!(syn.weights().iter().all(|&w| (0.01..=1.0).contains(&w)));
//! # Ok::<(), stdp_harness::Error>(())
//! ```
#![warn(missing_docs)]

// Links OpenBLAS (through openblas-src's `system` feature) into every binary.
extern crate blas_src;

pub mod blas;
pub mod config;
pub mod data;
pub mod error;
pub mod experiment;
pub mod grid;
pub mod harness;
pub mod interrupt;
pub mod math;
pub mod network;
pub mod neuron;
pub mod par;
pub mod plasticity;
pub mod record;
pub mod synapse;
pub mod team;

pub use error::{Error, Result};
pub use par::Par;
