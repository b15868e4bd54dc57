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

use rand::Rng;

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

    /// Input `i` spikes in step `t` with weights `row` (`W[i, :]`): each
    /// weight joins the slot of its arrival step.
    pub fn emit(&mut self, t: u64, i: usize, row: &[f32]) {
        let n = self.n;
        let base = (t % self.slots as u64) as usize;
        let (slots, delays, pending) = (
            self.slots,
            &self.steps[i * n..(i + 1) * n],
            &mut self.pending,
        );
        for (j, (&w, &d)) in row[..n].iter().zip(delays).enumerate() {
            let mut s = base + usize::from(d);
            if s >= slots {
                s -= slots;
            }
            pending[s * n + j] += w;
        }
    }

    /// Adds what is due in step `t` to `ge` and empties that slot.
    pub fn deliver(&mut self, t: u64, ge: &mut [f32]) {
        let n = self.n;
        let s = (t % self.slots as u64) as usize;
        let due = &mut self.pending[s * n..(s + 1) * n];
        for (g, p) in ge[..n].iter_mut().zip(due.iter_mut()) {
            *g += *p;
            *p = 0.0;
        }
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
