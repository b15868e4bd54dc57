//! Small numerical building blocks shared by the kernels.

pub mod expf;
pub mod simd;
pub mod vector;
