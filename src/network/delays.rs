//! Conduction delays of the input connections (Diehl & Cook's original code:
//! `delay['ee_input'] = (0*ms, 10*ms)` on a Brian 1 `DelayConnection`).
//!
//! Each synapse `(i, j)` gets a delay drawn once, uniform in `[lo, hi)` ms,
//! and kept in whole steps as Brian 1 does (`int(d / dt)`, truncation): at
//! `dt = 0.5 ms`, 0-19 steps for the original's 0-10 ms. A spike of input `i`
//! emitted in step `t` adds `W[i, j]` (the weight at emission, as Brian 1
//! reads the row when it propagates) to neuron `j`'s conductance in step
//! `t + d_ij`, through a ring of pending conductance with one row per delay
//! slot (Brian 1's `_delayedreaction`). A delay of 0 arrives in the step of
//! the spike, as without delays.

use std::mem::MaybeUninit;

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rand::Rng;

use crate::synapse::dc_original::{DelayTables, split_columns};

/// Per-synapse input delays and the conductance still in flight.
#[derive(Clone, Debug)]
pub struct InputDelays {
    n_in: usize,
    n: usize,
    /// Delays in steps, `(n_in, n)` row-major.
    steps: Vec<u8>,
    /// The same, transposed: `(n, n_in)` row-major (for a neuron's column).
    steps_t: Vec<u8>,
    /// Ring slots: the largest possible delay + 1.
    slots: usize,
    /// Pending conductance, `(slots, n)` row-major; slot `t % slots` is due in step `t`.
    pending: Vec<f32>,
}

/// Largest delay in steps that a range `[lo, hi)` ms can give at `dt_ms`.
pub fn max_delay_steps(range_ms: [f32; 2], dt_ms: f32) -> usize {
    (f64::from(range_ms[1]) / f64::from(dt_ms)).floor() as usize
}

impl InputDelays {
    /// Draws the delays of an `(n_in, n)` connection, uniform in
    /// `[range_ms[0], range_ms[1])` ms; `None` when every delay would be 0
    /// steps (the connection then needs no ring).
    pub fn draw<R: Rng>(
        n_in: usize,
        n: usize,
        range_ms: [f32; 2],
        dt_ms: f32,
        rng: &mut R,
    ) -> Option<Self> {
        let max = max_delay_steps(range_ms, dt_ms);
        if max == 0 {
            return None;
        }
        assert!(max < 256, "delays are validated to fit in u8 steps");
        let (lo, hi, dt) = (
            f64::from(range_ms[0]),
            f64::from(range_ms[1]),
            f64::from(dt_ms),
        );
        let steps: Vec<u8> = (0..n_in * n)
            .map(|_| {
                let d = lo + rng.random::<f64>() * (hi - lo);
                ((d / dt).floor() as usize).min(max) as u8
            })
            .collect();
        let mut steps_t = vec![0u8; n_in * n];
        for i in 0..n_in {
            for j in 0..n {
                steps_t[j * n_in + i] = steps[i * n + j];
            }
        }
        let slots = max + 1;
        Some(InputDelays {
            n_in,
            n,
            steps,
            steps_t,
            slots,
            pending: vec![0.0; slots * n],
        })
    }

    /// A copy for propagation only: the same delays and pending
    /// conductance, without the transposed table (read by learning only).
    pub fn propagation_copy(&self) -> Self {
        InputDelays {
            n_in: self.n_in,
            n: self.n,
            steps: self.steps.clone(),
            steps_t: Vec::new(),
            slots: self.slots,
            pending: self.pending.clone(),
        }
    }

    /// Delay of synapse `(i, j)`, steps.
    pub fn delay(&self, i: usize, j: usize) -> usize {
        usize::from(self.steps[i * self.n + j])
    }

    /// Every delay, steps, `(n_in, n)` row-major.
    pub fn steps(&self) -> &[u8] {
        &self.steps
    }

    /// Delays of input `i` to every neuron, steps.
    pub fn row(&self, i: usize) -> &[u8] {
        &self.steps[i * self.n..(i + 1) * self.n]
    }

    /// Delays of every input to neuron `j`, steps.
    pub fn column(&self, j: usize) -> &[u8] {
        &self.steps_t[j * self.n_in..(j + 1) * self.n_in]
    }

    /// The largest possible delay, steps.
    pub fn max_steps(&self) -> usize {
        self.slots - 1
    }

    /// The delay tables alone.
    pub fn tables(&self) -> DelayTables<'_> {
        DelayTables {
            steps: &self.steps,
            steps_t: &self.steps_t,
        }
    }

    /// The delay tables and the whole ring as one range (no allocation).
    pub fn whole(&mut self) -> (DelayTables<'_>, DelayRing<'_>) {
        let pending = ArrayViewMut2::from_shape((self.slots, self.n), &mut self.pending[..])
            .expect("the ring is (slots, n)");
        (
            DelayTables {
                steps: &self.steps,
                steps_t: &self.steps_t,
            },
            DelayRing {
                first: 0,
                n: self.n,
                slots: self.slots,
                pending,
            },
        )
    }

    /// The delay tables (read by the rule) and the ring split at the
    /// ascending `bounds` (first 0, last `n`) into column ranges that
    /// propagate independently ([`DelayRing::propagate`]).
    pub fn split(&mut self, bounds: &[usize]) -> (DelayTables<'_>, Vec<DelayRing<'_>>) {
        let view = ArrayViewMut2::from_shape((self.slots, self.n), &mut self.pending[..])
            .expect("the ring is (slots, n)");
        let rings = split_columns(view, bounds)
            .into_iter()
            .zip(bounds)
            .map(|(pending, &first)| DelayRing {
                first,
                n: self.n,
                slots: self.slots,
                pending,
            })
            .collect();
        let tables = DelayTables {
            steps: &self.steps,
            steps_t: &self.steps_t,
        };
        (tables, rings)
    }

    /// The pending conductance ring, `(slots, n)` row-major (for checkpoints).
    pub fn pending(&self) -> &[f32] {
        &self.pending
    }

    /// Restores the ring; `false` when the length does not fit.
    pub fn set_pending(&mut self, p: &[f32]) -> bool {
        if p.len() != self.pending.len() {
            return false;
        }
        self.pending.copy_from_slice(p);
        true
    }
}

/// Columns `first..first + width` of the pending-conductance ring (see
/// [`InputDelays::split`]).
#[derive(Debug)]
pub struct DelayRing<'a> {
    first: usize,
    n: usize,
    slots: usize,
    /// `(slots, width)`, rows with the full ring's stride.
    pending: ArrayViewMut2<'a, f32>,
}

/// Columns per block of [`DelayRing::propagate`]: the block's ring slots
/// (21 × 256 floats at the original's delays) stay in L1 while every input
/// spike of the step is added.
const BLOCK: usize = 256;

/// `at[d[k]][k] += w[k]` for every `k`, four at a time (each element of a
/// ring row belongs to a different neuron, so the order between neurons
/// does not matter; per neuron it is one add).
///
/// # Safety
/// For every `k`, `at[d[k]]` must be initialised and `at[d[k]].add(k)` valid
/// for reads and writes, not aliasing `w`.
#[inline(always)]
unsafe fn scatter_row(at: &[MaybeUninit<*mut f32>; 256], w: &[f32], d: &[u8]) {
    let n = w.len().min(d.len());
    let (w, d) = (&w[..n], &d[..n]);
    let split = n - n % 4;
    for (q, (w4, d4)) in w[..split]
        .chunks_exact(4)
        .zip(d[..split].chunks_exact(4))
        .enumerate()
    {
        let k = 4 * q;
        for l in 0..4 {
            // SAFETY: the caller's contract.
            unsafe { *at[usize::from(d4[l])].assume_init().add(k + l) += w4[l] };
        }
    }
    for k in split..n {
        // SAFETY: the caller's contract.
        unsafe { *at[usize::from(d[k])].assume_init().add(k) += w[k] };
    }
}

impl DelayRing<'_> {
    /// Step `t` of this column range: each input spike `i` in `inputs` puts
    /// `W[i, j]` (`w` holds the range's columns) into the slot of its
    /// arrival, `t + d_ij`; then what is due in step `t` is added to `ge`
    /// (the range's conductances) and the slot emptied. Per neuron the same
    /// additions in the same order (inputs in order, then delivery) as one
    /// spike at a time over the whole row.
    pub fn propagate(
        &mut self,
        t: u64,
        inputs: &[u32],
        w: &ArrayView2<f32>,
        tables: DelayTables,
        ge: &mut [f32],
    ) {
        let (first, n, slots) = (self.first, self.n, self.slots);
        let width = self.pending.ncols();
        let base = (t % slots as u64) as usize;
        let stride = self.pending.stride_of(Axis(0)) as usize;
        let ring = self.pending.as_mut_ptr();
        // Per block of columns `c0..`: where a delay of `d` steps lands this
        // step, the ring row's element of column `c0`, indexed by the u8
        // delay (no bounds test in the loop): per synapse one delay byte,
        // one table entry and the add. Only the first `slots` entries are
        // written (and ever read).
        let mut at = [MaybeUninit::<*mut f32>::uninit(); 256];
        let blocks = if inputs.is_empty() { 0 } else { width };
        for c0 in (0..blocks).step_by(BLOCK) {
            let c1 = (c0 + BLOCK).min(width);
            let mut slot = base;
            for a in at.iter_mut().take(slots) {
                // SAFETY: `slot < slots` and `c0 < width`: an element of the view.
                a.write(unsafe { ring.add(slot * stride + c0) });
                slot += 1;
                if slot == slots {
                    slot = 0;
                }
            }
            for &i in inputs {
                let i = i as usize;
                let wr = &w.row(i).to_slice().expect("rows are contiguous")[c0..c1];
                let dr = &tables.steps[i * n + first + c0..i * n + first + c1];
                // SAFETY: every delay is below `slots` (drawn so), so `at[d]`
                // is initialised and points at column `c0` of a row of this
                // range's view, of which `c0 + k < c1 <= width` is a column.
                unsafe { scatter_row(&at, wr, dr) };
            }
        }
        let due = self
            .pending
            .row_mut(base)
            .into_slice()
            .expect("ring rows are contiguous");
        for (g, p) in ge[..width].iter_mut().zip(due.iter_mut()) {
            *g += *p;
            *p = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn delays_are_whole_steps_inside_the_range_and_zero_range_needs_no_ring() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let d = InputDelays::draw(30, 40, [0.0, 10.0], 0.5, &mut rng).unwrap();
        assert_eq!(d.max_steps(), 20);
        let all: Vec<usize> = (0..30)
            .flat_map(|i| (0..40).map(move |j| (i, j)))
            .map(|(i, j)| d.delay(i, j))
            .collect();
        assert!(
            all.iter().all(|&x| x < 20),
            "U[0, 10) ms truncates to 0-19 steps"
        );
        assert!(all.contains(&0) && all.contains(&19));
        for j in 0..40 {
            for i in 0..30 {
                assert_eq!(usize::from(d.column(j)[i]), d.delay(i, j));
            }
        }
        assert!(InputDelays::draw(3, 3, [0.0, 0.0], 0.5, &mut rng).is_none());
        assert!(InputDelays::draw(3, 3, [0.0, 0.4], 0.5, &mut rng).is_none());
    }
}
