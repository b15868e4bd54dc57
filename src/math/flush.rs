//! Decays that never produce subnormal floats.
//!
//! Every decaying state of the models (conductances `ge`, `gi`; the spike
//! traces of both plasticity rules and of the batch harness) is multiplied
//! by a factor `k < 1` each step and would, left alone, walk down through
//! the subnormal range (below `f32::MIN_POSITIVE ≈ 1.18·10⁻³⁸`) on its way
//! to zero. On Intel CPUs every arithmetic operation with a subnormal operand
//! or result takes a microcode assist of ~100 cycles, which made the Diehl &
//! Cook network ~10x slower there than on AMD cores.
//!
//! [`decay_flushed`] instead sets a value to exactly 0 once it falls below
//! [`FLUSH_FLOOR`] (`10⁻¹⁵`). The floor is far enough above the subnormal
//! range that the products the rules form from decayed values stay normal:
//! `x·k` for every `k ≥ 10⁻²³`, and the original rule's potentiation
//! `ν_post · post2 · pre`, a product of two traces, for every learning rate
//! `≥ 1.2·10⁻⁸`. It is far below anything the models can resolve: a
//! conductance of `10⁻¹⁵` moves a membrane by at most
//! `dt/τ_m · 10⁻¹⁵ · 100 mV = 5·10⁻¹⁶ mV` in a step, ten orders of
//! magnitude below an f32 ulp of the potential (`7.6·10⁻⁶ mV` near −65 mV);
//! a trace of `10⁻¹⁵` changes a weight by `η·10⁻¹⁵`, below the ulp of any
//! weight above `10⁻⁸`. The flush is the same on every CPU and thread count, so the
//! results stay deterministic and portable (no reliance on the FTZ/DAZ flags
//! of x86's MXCSR, which Rust code cannot set soundly and ARM handles
//! differently). `docs/numerics.md` has the reasoning and the audit.

/// Values whose magnitude falls below this after a decay become exactly 0.
pub const FLUSH_FLOOR: f32 = 1e-15;

/// `x·k`, or 0 when its magnitude is below [`FLUSH_FLOOR`]: one decay step
/// that never leaves a subnormal (branch-free, so loops over it vectorise).
#[inline(always)]
pub fn decay_flushed(x: f32, k: f32) -> f32 {
    let y = x * k;
    if y.abs() < FLUSH_FLOOR { 0.0 } else { y }
}

#[inline(always)]
fn decay_slice_body<const FMA: bool>(xs: &mut [f32], k: f32) {
    for x in xs.iter_mut() {
        *x = decay_flushed(*x, k);
    }
}

crate::math::simd::dispatch!(
    /// [`decay_flushed`] over a slice (AVX2 when the CPU has it).
    pub fn decay_slice_flushed(xs: &mut [f32], k: f32) => decay_slice_body
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decaying_value_reaches_zero_without_ever_being_subnormal() {
        for k in [0.5f32, 0.75, (-0.5f32 / 20.0).exp(), (-0.5f32 / 40.0).exp()] {
            let mut x = 3.0f32;
            let mut steps = 0;
            while x != 0.0 {
                x = decay_flushed(x, k);
                assert!(!x.is_subnormal(), "k = {k}: {x:e} after {steps} steps");
                steps += 1;
                assert!(steps < 100_000);
            }
        }
    }

    #[test]
    fn above_the_floor_the_decay_is_the_plain_product() {
        for x in [1.0f32, 1e-10, -2e-14, 1.5e-15] {
            assert_eq!(decay_flushed(x, 0.9), x * 0.9);
        }
        assert_eq!(decay_flushed(1e-15, 0.5), 0.0);
        assert_eq!(decay_flushed(-1.9e-15, 0.5), 0.0);
    }
}
