//! Small numerical building blocks shared by the kernels.

pub mod expf;
pub mod flush;
pub mod simd;
pub mod vector;
