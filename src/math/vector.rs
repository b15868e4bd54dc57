//! Vector operations shared by the synapse kernels and the networks.

#[inline(always)]
fn axpy_body<const FMA: bool>(out: &mut [f32], a: f32, x: &[f32]) {
    let n = out.len();
    let x = &x[..n];
    for j in 0..n {
        out[j] += a * x[j];
    }
}
crate::math::simd::dispatch!(
    /// `out += a · x` (BLAS's `saxpy`) over `out.len()` elements; `x` must be
    /// at least as long. Compiled for AVX2+FMA when the machine has it.
    pub fn axpy(out: &mut [f32], a: f32, x: &[f32]) => axpy_body
);
