//! Random update inputs in the statistics of the golden cases and ANCHORS.md:
//! Bernoulli spikes at given densities, traces equal to 1 where a spike
//! occurred, else uniform in `[0, 1)` for ~30 % of units and 0 elsewhere; or
//! analog values everywhere.

// Shared by several benches, examples and tests, each using a part.
#![allow(dead_code)]

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use stdp_harness::synapse::exp_stdp::EvolveInputs;

/// Owned inputs of one update.
#[derive(Clone, Debug)]
pub struct UpdateInputs {
    /// `(B, n_in)` presynaptic spikes.
    pub pre: Array2<f32>,
    /// `(B, n_in)` presynaptic traces.
    pub x_pre: Array2<f32>,
    /// `(B, n_out)` postsynaptic spikes.
    pub post: Array2<f32>,
    /// `(B, n_out)` postsynaptic traces.
    pub x_post: Array2<f32>,
}

impl UpdateInputs {
    /// Borrowed form for the kernels.
    pub fn view(&self) -> EvolveInputs<'_> {
        EvolveInputs {
            pre: self.pre.view(),
            x_pre: self.x_pre.view(),
            post: self.post.view(),
            x_post: self.x_post.view(),
        }
    }
}

/// Fraction of non-spiking units whose trace is non-zero.
const TRACE_FRACTION: f64 = 0.3;

fn spikes_and_traces(
    rng: &mut ChaCha8Rng,
    b: usize,
    n: usize,
    rate: f64,
) -> (Array2<f32>, Array2<f32>) {
    let mut s = Array2::zeros((b, n));
    let mut x = Array2::zeros((b, n));
    for ((s, x), _) in s.iter_mut().zip(x.iter_mut()).zip(0..) {
        if rng.random_bool(rate) {
            *s = 1.0;
            *x = 1.0;
        } else if rng.random_bool(TRACE_FRACTION) {
            *x = rng.random::<f32>();
        }
    }
    (s, x)
}

/// Spike inputs: `pre` fires with probability `pre_rate`, `post` with `post_rate`.
pub fn spike_inputs(
    seed: u64,
    b: usize,
    n_in: usize,
    n_out: usize,
    pre_rate: f64,
    post_rate: f64,
) -> UpdateInputs {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (pre, x_pre) = spikes_and_traces(&mut rng, b, n_in, pre_rate);
    let (post, x_post) = spikes_and_traces(&mut rng, b, n_out, post_rate);
    UpdateInputs {
        pre,
        x_pre,
        post,
        x_post,
    }
}

/// Analog inputs: all four arrays uniform in `[0, 1)`.
pub fn analog_inputs(seed: u64, b: usize, n_in: usize, n_out: usize) -> UpdateInputs {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut u = |r: usize, c: usize| Array2::from_shape_simple_fn((r, c), || rng.random::<f32>());
    UpdateInputs {
        pre: u(b, n_in),
        x_pre: u(b, n_in),
        post: u(b, n_out),
        x_post: u(b, n_out),
    }
}
