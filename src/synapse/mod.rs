//! Plastic synapses and the traces they read: the seed's exponential rule
//! ([`exp_stdp`]) and Diehl & Cook's original rule ([`dc_original`]).

pub mod dc_original;
pub mod exp_stdp;
pub mod trace;
