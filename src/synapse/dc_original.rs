//! The plasticity rule of Diehl & Cook's original code (what produced their
//! accuracy table): a pre/post-trace rule with two postsynaptic traces,
//! weights clipped to `[0, w_max]`.
//!
//! Traces decay exponentially: `pre` (τ 20 ms), `post1` (τ 20 ms), `post2`
//! (τ 40 ms). On a presynaptic spike of input `i`: `pre[i] = 1`, then
//! `W[i, :] −= ν_pre · post1`. On a postsynaptic spike of neuron `j`:
//! `W[:, j] += ν_post · pre · post2(before the spike)`, then
//! `post1[j] = post2[j] = 1`. `ν_pre = 1e-4`, `ν_post = 1e-2`, `w_max = 1`.

use ndarray::ArrayViewMut2;

/// Parameters of the rule.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DcStdpParams {
    /// Presynaptic trace time constant, ms.
    pub tau_pre_ms: f32,
    /// First postsynaptic trace time constant, ms (depression).
    pub tau_post1_ms: f32,
    /// Second postsynaptic trace time constant, ms (potentiation).
    pub tau_post2_ms: f32,
    /// Depression rate on presynaptic spikes.
    pub nu_pre: f32,
    /// Potentiation rate on postsynaptic spikes.
    pub nu_post: f32,
    /// Upper weight bound (the lower one is 0).
    pub w_max: f32,
}

impl Default for DcStdpParams {
    fn default() -> Self {
        DcStdpParams {
            tau_pre_ms: 20.0,
            tau_post1_ms: 20.0,
            tau_post2_ms: 40.0,
            nu_pre: 1e-4,
            nu_post: 1e-2,
            w_max: 1.0,
        }
    }
}

#[inline(always)]
fn depress_body<const FMA: bool>(row: &mut [f32], post1: &[f32], nu: f32, w_max: f32) {
    let n = row.len();
    let post1 = &post1[..n];
    for j in 0..n {
        row[j] = (row[j] - nu * post1[j]).clamp(0.0, w_max);
    }
}

crate::dispatch!(fn depress(row: &mut [f32], post1: &[f32], nu: f32, w_max: f32) => depress_body);

/// The rule's traces for an `(n_in, n_out)` weight matrix.
#[derive(Clone, Debug)]
pub struct DcStdp {
    params: DcStdpParams,
    /// Presynaptic traces.
    pub pre: Vec<f32>,
    /// First postsynaptic traces.
    pub post1: Vec<f32>,
    /// Second postsynaptic traces.
    pub post2: Vec<f32>,
    decay: [f32; 3],
}

impl DcStdp {
    /// Zero traces for `n_in` inputs and `n_out` neurons, stepped every `dt_ms`.
    pub fn new(params: DcStdpParams, n_in: usize, n_out: usize, dt_ms: f32) -> Self {
        let d = |tau: f32| (-dt_ms / tau).exp();
        DcStdp {
            params,
            pre: vec![0.0; n_in],
            post1: vec![0.0; n_out],
            post2: vec![0.0; n_out],
            decay: [
                d(params.tau_pre_ms),
                d(params.tau_post1_ms),
                d(params.tau_post2_ms),
            ],
        }
    }

    /// The parameters.
    pub fn params(&self) -> &DcStdpParams {
        &self.params
    }

    /// Decays every trace by one step.
    pub fn decay(&mut self) {
        let [a, b, c] = self.decay;
        self.pre.iter_mut().for_each(|x| *x *= a);
        self.post1.iter_mut().for_each(|x| *x *= b);
        self.post2.iter_mut().for_each(|x| *x *= c);
    }

    /// Presynaptic spike of input `i`: `pre[i] = 1`, `W[i, :] −= ν_pre·post1`, clip.
    pub fn on_pre(&mut self, w: &mut ArrayViewMut2<f32>, i: usize) {
        self.pre[i] = 1.0;
        let (nu, w_max) = (self.params.nu_pre, self.params.w_max);
        let mut row = w.row_mut(i);
        match row.as_slice_mut() {
            Some(r) => depress(r, &self.post1, nu, w_max),
            None => {
                for (x, &p1) in row.iter_mut().zip(&self.post1) {
                    *x = (*x - nu * p1).clamp(0.0, w_max);
                }
            }
        }
    }

    /// Postsynaptic spike of neuron `j`: `W[:, j] += ν_post·pre·post2_before`,
    /// clip, then `post1[j] = post2[j] = 1`.
    pub fn on_post(&mut self, w: &mut ArrayViewMut2<f32>, j: usize) {
        let gain = self.params.nu_post * self.post2[j];
        let w_max = self.params.w_max;
        for (x, &p) in w.column_mut(j).iter_mut().zip(&self.pre) {
            *x = (*x + gain * p).clamp(0.0, w_max);
        }
        self.post1[j] = 1.0;
        self.post2[j] = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    #[test]
    fn pairing_potentiates_and_post_then_pre_depresses() {
        let p = DcStdpParams::default();
        let mut w = Array2::from_elem((2, 2), 0.5f32);
        let mut r = DcStdp::new(p, 2, 2, 0.5);
        // post2 before the first post spike is 0: no potentiation.
        r.on_pre(&mut w.view_mut(), 0);
        r.on_post(&mut w.view_mut(), 1);
        assert_eq!(w[[0, 1]], 0.5);
        // 10 steps later (5 ms) input 0 fires again, then neuron 1 again.
        for _ in 0..10 {
            r.decay();
        }
        let post1 = r.post1[1];
        r.on_pre(&mut w.view_mut(), 0);
        let depressed = 0.5 - 1e-4 * post1;
        assert!((w[[0, 1]] - depressed).abs() < 1e-7);
        let post2 = r.post2[1];
        assert!((post2 - (-5.0f32 / 40.0).exp()).abs() < 1e-6);
        r.on_post(&mut w.view_mut(), 1);
        assert!((w[[0, 1]] - (depressed + 1e-2 * 1.0 * post2)).abs() < 1e-6);
        // Input 1 never fired: its weights to neuron 1 are untouched.
        assert_eq!(w[[1, 1]], 0.5);
        assert_eq!(w[[0, 0]], 0.5 - 1e-4 * 0.0);
    }

    #[test]
    fn weights_stay_in_zero_to_w_max() {
        let p = DcStdpParams {
            nu_post: 10.0,
            nu_pre: 10.0,
            ..DcStdpParams::default()
        };
        let mut w = Array2::from_elem((3, 3), 0.5f32);
        let mut r = DcStdp::new(p, 3, 3, 0.5);
        for k in 0..20 {
            r.on_post(&mut w.view_mut(), k % 3);
            r.on_pre(&mut w.view_mut(), (k + 1) % 3);
            r.on_post(&mut w.view_mut(), k % 3);
        }
        assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
        assert!(w.iter().any(|&x| x == 1.0) || w.iter().any(|&x| x == 0.0));
    }
}
