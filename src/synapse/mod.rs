//! Plastic synapses and the traces they read.

pub mod exp_stdp;
pub mod trace;
