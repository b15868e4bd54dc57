//! The per-element arithmetic of the rule, shared by the fast paths.
//!
//! One `exp` per element: `e^(−β(w_b − w)) = e^(−β w_b) / e^(−β w)`. The
//! constants are computed once per update in [`RuleConsts`].

use super::params::{NORM_EPS, ValidExpStdpParams, W_MIN};
use crate::math::expf::exp_with;

/// Per-update constants of the rule.
#[derive(Clone, Copy, Debug)]
pub struct RuleConsts {
    pub(crate) eta: f32,
    pub(crate) neg_beta: f32,
    /// `e^(−β w_b)`.
    pub(crate) exp_neg_beta_wb: f32,
    pub(crate) a_plus: f32,
    /// `A−` when the depression term is on, else 0 (and never read).
    pub(crate) a_minus: f32,
    pub(crate) w_bound: f32,
    pub(crate) w_norm: Option<f32>,
}

impl RuleConsts {
    /// Constants of `params`.
    pub fn new(params: &ValidExpStdpParams) -> Self {
        let p = params.get();
        RuleConsts {
            eta: p.eta,
            neg_beta: -p.exp_beta,
            exp_neg_beta_wb: (-p.exp_beta * p.w_bound).exp(),
            a_plus: p.a_plus,
            a_minus: if params.has_depression() {
                p.a_minus
            } else {
                0.0
            },
            w_bound: p.w_bound,
            w_norm: p.w_norm,
        }
    }
}

/// `clip(x, 0.01, w_b)`, NaN-preserving like `f32::clamp`, branch-free.
#[inline(always)]
pub fn clip(x: f32, w_bound: f32) -> f32 {
    let lo = if x < W_MIN { W_MIN } else { x };
    if lo > w_bound { w_bound } else { lo }
}

/// `w + ΔW` for one element (`FMA`: see [`exp_with`]) with potentiation inputs `p` (= `P[i,j]`),
/// `q` (= `Q[j]`) and, when `LTD`, depression input `r` (= `R[i,j]`).
#[inline(always)]
pub fn updated<const LTD: bool, const FMA: bool>(
    w: f32,
    p: f32,
    q: f32,
    r: f32,
    k: &RuleConsts,
) -> f32 {
    let e = exp_with::<FMA>(k.neg_beta * w);
    let ltp = e * p - (k.exp_neg_beta_wb / e) * q;
    if LTD {
        w + k.eta * (k.a_plus * ltp - k.a_minus * e * r)
    } else {
        w + k.eta * (k.a_plus * ltp)
    }
}

/// Row L2 normalisation (when `w_norm` is set) followed by the clip, on one row.
#[inline(always)]
pub fn finish_row(row: &mut [f32], k: &RuleConsts) {
    if let Some(target) = k.w_norm {
        let ss = sum_of_squares(row);
        let scale = target / (ss.sqrt() + NORM_EPS);
        for x in row.iter_mut() {
            *x = clip(*x * scale, k.w_bound);
        }
    } else {
        for x in row.iter_mut() {
            *x = clip(*x, k.w_bound);
        }
    }
}

/// `Σ x²` with eight interleaved partial sums, so the loop vectorises.
#[inline(always)]
pub fn sum_of_squares(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = v.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for &x in tail {
        s += x * x;
    }
    s
}
