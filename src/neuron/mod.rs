//! Neuron models and input encoders.

pub mod lif;
pub mod poisson;
