//! The exponential weight-dependent STDP synapse (ngclearn's older `ExpSTDPSynapse`).
//!
//! The rule (Nessler et al. 2013 weight dependence; Diehl & Cook 2015, eq. 4
//! lineage) in [`reference::evolve_reference`], with two fast paths that give
//! the same weights ([`fused`], [`events`]) and the automatic choice between
//! them ([`path`]); its parameters in [`params`]; the forward transform in
//! [`layer`] (BLAS) and [`projection`] (events); the component in [`component`].

pub mod component;
pub mod elementwise;
pub mod events;
pub mod fused;
pub mod inputs;
pub mod layer;
pub mod params;
pub mod path;
pub mod projection;
pub mod reference;
pub mod rule;
pub mod workspace;

pub use component::{Compartment, ExpStdpSynapse, UniformInit};
pub use events::{WeightRange, evolve_events};
pub use fused::evolve_fused;
pub use inputs::EvolveInputs;
pub use layer::{compute_layer, compute_layer_into};
pub use params::{ExpStdpParams, NORM_EPS, PARAM_NAMES, ValidExpStdpParams, W_MIN};
pub use path::{EvolvePath, Evolver, choose_path};
pub use projection::{ProjectionPath, compute_layer_auto_into, compute_layer_events_into};
pub use reference::evolve_reference;
pub use rule::ExpStdp;
pub use workspace::EvolveWorkspace;
