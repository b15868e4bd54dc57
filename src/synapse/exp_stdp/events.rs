//! The event-driven update: only the entries that spikes can change are touched.
//!
//! With sparse `post`, `P` and `Q` are non-zero only in the columns of
//! postsynaptic units that fired; with sparse `pre`, `R` only in the rows of
//! inputs that fired. Every other entry has `ΔW = 0` exactly, and the clip
//! leaves it unchanged *if it is already inside `[0.01, w_b]`* — which the
//! caller states with [`WeightRange`]; with [`WeightRange::Unknown`] a clip
//! pass over all of `W` follows. Row normalisation rescales every row, so with
//! `w_norm` set this path hands over to the fused one.
//!
//! Entries in a fired column *and* a fired row get both terms from the same
//! old weight: columns are updated with both terms, then the fired rows
//! outside those columns with the depression term only.

use ndarray::{ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

use super::elementwise::{RuleConsts, clip, updated};
use super::fused::{Lane, evolve_fused};
use super::inputs::EvolveInputs;
use super::params::ValidExpStdpParams;
use super::workspace::{EvolveWorkspace, sized};
use crate::blas::{Op, gemm};
use crate::error::Result;
use crate::par::Par;

/// What the caller knows about `W` before an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightRange {
    /// Every entry is inside `[0.01, w_b]` (true after any update of the rule).
    Clipped,
    /// Nothing is known (fresh or loaded weights): the update clips all of `W`.
    Unknown,
}

#[inline(always)]
fn lane_body<const LTD: bool>(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) {
    let n = w.len();
    let pv = &p.vec[..n];
    if LTD {
        let rv = &r.vec[..n];
        for i in 0..n {
            w[i] = clip(
                updated::<true>(w[i], pv[i] * p.scale, q, rv[i] * r.scale, k),
                k.w_bound,
            );
        }
    } else {
        for i in 0..n {
            w[i] = clip(
                updated::<false>(w[i], pv[i] * p.scale, q, 0.0, k),
                k.w_bound,
            );
        }
    }
}

#[inline(always)]
fn lane_ltp(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) {
    lane_body::<false>(w, p, q, r, k)
}

#[inline(always)]
fn lane_ltd(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) {
    lane_body::<true>(w, p, q, r, k)
}

/// Depression only, `w[j] ← clip(w + η·(A+·0 − A−·e^(−βw)·r_scale·r[j]))`, skipping `skip[j]`.
#[inline(always)]
fn ltd_row_body(w: &mut [f32], r: Lane, skip: &[bool], k: &RuleConsts) {
    let n = w.len();
    let (rv, skip) = (&r.vec[..n], &skip[..n]);
    for j in 0..n {
        let new = clip(
            updated::<true>(w[j], 0.0, 0.0, rv[j] * r.scale, k),
            k.w_bound,
        );
        w[j] = if skip[j] { w[j] } else { new };
    }
}

crate::dispatch!(fn update_lane_ltp(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) => lane_ltp);
crate::dispatch!(fn update_lane_ltd(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) => lane_ltd);
crate::dispatch!(fn update_ltd_row(w: &mut [f32], r: Lane, skip: &[bool], k: &RuleConsts) => ltd_row_body);

/// Updates one lane (a column of `W`, or a row), contiguous or strided.
fn update_lane(mut lane: ArrayViewMut1<f32>, p: Lane, q: f32, r: Lane, ltd: bool, k: &RuleConsts) {
    if let Some(w) = lane.as_slice_mut() {
        if ltd {
            update_lane_ltd(w, p, q, r, k)
        } else {
            update_lane_ltp(w, p, q, r, k)
        }
    } else {
        for (i, w) in lane.iter_mut().enumerate() {
            let new = if ltd {
                updated::<true>(*w, p.vec[i] * p.scale, q, r.vec[i] * r.scale, k)
            } else {
                updated::<false>(*w, p.vec[i] * p.scale, q, 0.0, k)
            };
            *w = clip(new, k.w_bound);
        }
    }
}

/// Indices of the columns of `x` (`(B, n)`) with any non-zero entry, into `out`.
fn active(x: ArrayView2<f32>, out: &mut Vec<usize>) {
    out.clear();
    for (j, col) in x.axis_iter(Axis(1)).enumerate() {
        if col.iter().any(|&v| v != 0.0) {
            out.push(j);
        }
    }
}

/// Copies the columns `idx` of `x` (`(B, n)`) into a `(B, idx.len())` row-major buffer.
fn gather_cols<'a>(
    x: ArrayView2<f32>,
    idx: &[usize],
    buf: &'a mut Vec<f32>,
) -> ArrayView2<'a, f32> {
    let (b, m) = (x.nrows(), idx.len());
    let s = sized(buf, b * m);
    for r in 0..b {
        for (c, &j) in idx.iter().enumerate() {
            s[r * m + c] = x[[r, j]];
        }
    }
    ArrayView2::from_shape((b, m), &*s).expect("sized buffer")
}

/// Applies one update of the rule touching only the entries spikes can change.
///
/// Equal to [`evolve_reference`](super::reference::evolve_reference) within
/// float32 rounding, provided `range` is truthful. Works on `W` in any layout
/// (columns are fastest when `W` is column-major, rows when row-major). With
/// `w_norm` set it runs [`evolve_fused`] (sequentially) instead.
pub fn evolve_events(
    params: &ValidExpStdpParams,
    inputs: &EvolveInputs,
    w: &mut ArrayViewMut2<f32>,
    range: WeightRange,
    ws: &mut EvolveWorkspace,
) -> Result<()> {
    let (n_in, n_out) = w.dim();
    let b = inputs.check(n_in, n_out)?;
    if params.get().w_norm.is_some() {
        return evolve_fused(params, inputs, w, ws, Par::Seq);
    }
    let k = RuleConsts::new(params);
    let ltd = params.has_depression();
    let x_tar = params.get().x_tar;
    let mut cols = std::mem::take(&mut ws.cols);
    let mut rows = std::mem::take(&mut ws.rows);
    active(inputs.post, &mut cols);
    if ltd {
        active(inputs.pre, &mut rows);
    } else {
        rows.clear();
    }

    if b == 1 {
        let x_pre = inputs.x_pre.row(0);
        let pre = inputs.pre.row(0);
        let (x_pre_buf, pre_buf);
        let x_pre: &[f32] = match x_pre.as_slice() {
            Some(s) => s,
            None => {
                x_pre_buf = x_pre.to_vec();
                &x_pre_buf
            }
        };
        let pre: &[f32] = match pre.as_slice() {
            Some(s) => s,
            None => {
                pre_buf = pre.to_vec();
                &pre_buf
            }
        };
        for &j in &cols {
            let post_j = inputs.post[[0, j]];
            let p = Lane {
                scale: post_j,
                vec: x_pre,
            };
            let r = Lane {
                scale: inputs.x_post[[0, j]],
                vec: pre,
            };
            update_lane(w.column_mut(j), p, x_tar * post_j, r, ltd, &k);
        }
    } else if !cols.is_empty() {
        // P[:, J] = x_preᵀ · post[:, J] and R[:, J] = preᵀ · x_post[:, J] by BLAS.
        let m = cols.len();
        let mut pot = std::mem::take(&mut ws.pot);
        let mut dep = std::mem::take(&mut ws.dep);
        {
            let post_j = gather_cols(inputs.post, &cols, &mut ws.gather_a);
            let mut pv =
                ArrayViewMut2::from_shape((n_in, m), sized(&mut pot, n_in * m)).expect("sized");
            gemm(1.0, inputs.x_pre, Op::T, post_j, Op::Id, 0.0, &mut pv)?;
            let q = sized(&mut ws.q, m);
            q.fill(0.0);
            for row in post_j.axis_iter(Axis(0)) {
                for (qj, &s) in q.iter_mut().zip(row.iter()) {
                    *qj += x_tar * s;
                }
            }
        }
        if ltd {
            let x_post_j = gather_cols(inputs.x_post, &cols, &mut ws.gather_a);
            let mut rv =
                ArrayViewMut2::from_shape((n_in, m), sized(&mut dep, n_in * m)).expect("sized");
            gemm(1.0, inputs.pre, Op::T, x_post_j, Op::Id, 0.0, &mut rv)?;
        }
        // Column c of the (n_in, m) products, as a contiguous lane.
        let col_of = |buf: &[f32], c: usize, out: &mut Vec<f32>| {
            out.clear();
            out.extend((0..n_in).map(|i| buf[i * m + c]));
        };
        let (mut pcol, mut rcol) = (Vec::with_capacity(n_in), Vec::with_capacity(n_in));
        for (c, &j) in cols.iter().enumerate() {
            col_of(&pot, c, &mut pcol);
            if ltd {
                col_of(&dep, c, &mut rcol);
            }
            let p = Lane {
                scale: 1.0,
                vec: &pcol,
            };
            let r = Lane {
                scale: 1.0,
                vec: if ltd { &rcol } else { &pcol },
            };
            update_lane(w.column_mut(j), p, ws.q[c], r, ltd, &k);
        }
        ws.pot = pot;
        ws.dep = dep;
    }

    if !rows.is_empty() {
        // Fired rows outside the fired columns: depression only.
        ws.in_cols.clear();
        ws.in_cols.resize(n_out, false);
        for &j in &cols {
            ws.in_cols[j] = true;
        }
        let mut dep = std::mem::take(&mut ws.dep);
        let m = rows.len();
        if b > 1 {
            // R[I, :] = pre[:, I]ᵀ · x_post by BLAS.
            let pre_i = gather_cols(inputs.pre, &rows, &mut ws.gather_b);
            let mut rv =
                ArrayViewMut2::from_shape((m, n_out), sized(&mut dep, m * n_out)).expect("sized");
            gemm(1.0, pre_i, Op::T, inputs.x_post, Op::Id, 0.0, &mut rv)?;
        }
        let x_post0 = inputs.x_post.row(0).to_vec();
        let mut row_buf = Vec::new();
        for (c, &i) in rows.iter().enumerate() {
            let r = if b == 1 {
                Lane {
                    scale: inputs.pre[[0, i]],
                    vec: &x_post0,
                }
            } else {
                Lane {
                    scale: 1.0,
                    vec: &dep[c * n_out..(c + 1) * n_out],
                }
            };
            let mut row = w.row_mut(i);
            match row.as_slice_mut() {
                Some(s) => update_ltd_row(s, r, &ws.in_cols, &k),
                None => {
                    row_buf.clear();
                    row_buf.extend(row.iter().copied());
                    update_ltd_row(&mut row_buf, r, &ws.in_cols, &k);
                    row.iter_mut().zip(&row_buf).for_each(|(w, &v)| *w = v);
                }
            }
        }
        ws.dep = dep;
    }
    ws.cols = cols;
    ws.rows = rows;

    if range == WeightRange::Unknown {
        let wb = k.w_bound;
        w.mapv_inplace(|x| clip(x, wb));
    }
    Ok(())
}
