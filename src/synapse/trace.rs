//! Spike traces: set to 1 on a spike, otherwise decay exponentially with time constant `tau`.
//!
//! `x ← 1` where a spike occurred, else `x ← x · e^(−dt/τ)` — the trace filter of
//! the golden multi-step cases and of Diehl & Cook's original code; values
//! below [`FLUSH_FLOOR`](crate::math::flush::FLUSH_FLOOR) become 0.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::math::flush::{decay_flushed, decay_slice_flushed};

/// A "set to 1 on spike, else decay" trace filter with a fixed decay factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetTrace {
    decay: f32,
}

impl SetTrace {
    /// A filter with time constant `tau` stepped every `dt` (same units):
    /// decay factor `e^(−dt/τ)`.
    pub fn new(tau: f32, dt: f32) -> Self {
        SetTrace {
            decay: (-dt / tau).exp(),
        }
    }

    /// A filter with the given per-step decay factor (computed elsewhere,
    /// e.g. in f64 from a config's time constant).
    pub fn from_decay(decay: f32) -> Self {
        SetTrace { decay }
    }

    /// One element's next value: 1 when it spiked, else decayed (and
    /// flushed to 0 below the floor).
    #[inline]
    pub fn next(&self, x: f32, spiked: bool) -> f32 {
        if spiked {
            1.0
        } else {
            decay_flushed(x, self.decay)
        }
    }

    /// The per-step decay factor `e^(−dt/τ)`.
    pub fn decay(&self) -> f32 {
        self.decay
    }

    /// Advances `x` one step given the indices of the elements that spiked
    /// (the event form of [`step`](Self::step), the same values).
    pub fn step_events(&self, x: &mut [f32], spikes: &[u32]) {
        decay_slice_flushed(x, self.decay);
        for &i in spikes {
            x[i as usize] = 1.0;
        }
    }

    /// Advances `x` one step given `spikes` (non-zero = spike). Shapes must match.
    pub fn step(&self, x: &mut ArrayViewMut2<f32>, spikes: ArrayView2<f32>) {
        Zip::from(x)
            .and(&spikes)
            .for_each(|x, &s| *x = self.next(*x, s != 0.0));
    }
}
