//! Synthetic inputs for the rule at controlled spike densities (benchmarks, tests, demos).

pub mod spikes;
