//! Experiments built on the networks: the Diehl & Cook (2015) MNIST protocol.

pub mod dc_checkpoint;
pub mod dc_config;
pub mod dc_run;
