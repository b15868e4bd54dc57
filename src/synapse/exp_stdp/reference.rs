//! The reference weight update of the exponential weight-dependent STDP rule: the oracle.
//!
//! Written as the rule reads (ngclearn's older `ExpSTDPSynapse`; Nessler et al.
//! 2013 exponential weight dependence, as used by Diehl & Cook 2015, eq. 4):
//! three batch products through BLAS, then one elementwise pass. Faster paths
//! must agree with this one.

use ndarray::{Array1, Array2, ArrayViewMut2, Axis, Zip};

use super::elementwise::clip;
use super::inputs::EvolveInputs;
use super::params::{NORM_EPS, ValidExpStdpParams};
use crate::blas::{Op, gemm};
use crate::error::{Error, Result};

/// Applies one update of the rule to `w` in place.
///
/// With `P = x_preᵀ·post`, `Q[j] = Σ_b x_tar·post[b,j]`, `R = preᵀ·x_post`
/// (batch axis summed, not averaged):
///
/// ```text
/// ΔW = η · ( A+ · ( e^(−βW) ⊙ P − e^(−β(w_b − W)) ⊙ Q ) − A− · e^(−βW) ⊙ R )   (A− term only if A− > 0)
/// W' = W + ΔW
/// W' ← W' · w_norm / (‖W'[i,:]‖₂ + 1e-5)   per row i, only if w_norm is set
/// W  ← clip(W', 0.01, w_b)
/// ```
pub fn evolve_reference(
    params: &ValidExpStdpParams,
    inputs: &EvolveInputs,
    w: &mut ArrayViewMut2<f32>,
) -> Result<()> {
    let (n_in, n_out) = w.dim();
    inputs.check(n_in, n_out)?;
    let p = params.get();

    let mut pot = Array2::<f32>::zeros((n_in, n_out));
    gemm(
        1.0,
        inputs.x_pre,
        Op::T,
        inputs.post,
        Op::Id,
        0.0,
        &mut pot.view_mut(),
    )?;
    let q: Array1<f32> = inputs
        .post
        .axis_iter(Axis(1))
        .map(|col| col.iter().map(|&s| p.x_tar * s).sum())
        .collect();
    let dep = if params.has_depression() {
        let mut r = Array2::<f32>::zeros((n_in, n_out));
        gemm(
            1.0,
            inputs.pre,
            Op::T,
            inputs.x_post,
            Op::Id,
            0.0,
            &mut r.view_mut(),
        )?;
        Some(r)
    } else {
        None
    };

    let (eta, beta, wb, a_plus, a_minus) = (p.eta, p.exp_beta, p.w_bound, p.a_plus, p.a_minus);
    let q_row = q.view().insert_axis(Axis(0));
    let q_b = q_row
        .broadcast((n_in, n_out))
        .ok_or_else(|| Error::shape("Q", &[n_in, n_out], q.shape()))?;
    match dep {
        None => Zip::from(w.view_mut())
            .and(&pot)
            .and(&q_b)
            .for_each(|w, &pij, &qj| {
                let ltp = (-beta * *w).exp() * pij - (-beta * (wb - *w)).exp() * qj;
                *w += eta * (a_plus * ltp);
            }),
        Some(r) => Zip::from(w.view_mut())
            .and(&pot)
            .and(&q_b)
            .and(&r)
            .for_each(|w, &pij, &qj, &rij| {
                let e_w = (-beta * *w).exp();
                let ltp = e_w * pij - (-beta * (wb - *w)).exp() * qj;
                *w += eta * (a_plus * ltp - a_minus * e_w * rij);
            }),
    }
    normalise_rows_and_clip(params, w);
    Ok(())
}

/// The two closing steps of the rule, shared by every path: optional row L2
/// normalisation to `w_norm`, then clipping to `[0.01, w_b]`.
pub fn normalise_rows_and_clip(params: &ValidExpStdpParams, w: &mut ArrayViewMut2<f32>) {
    let p = params.get();
    if let Some(target) = p.w_norm {
        for mut row in w.rows_mut() {
            let norm = row.iter().map(|&x| x * x).sum::<f32>().sqrt();
            let scale = target / (norm + NORM_EPS);
            row.mapv_inplace(|x| x * scale);
        }
    }
    let wb = p.w_bound;
    w.mapv_inplace(|x| clip(x, wb));
}
