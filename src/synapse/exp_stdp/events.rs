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
//! The batch products are accumulated sparsely, one spike at a time, so the
//! cost follows the number of spikes rather than `B · n_in · n_out`.
//!
//! Entries in a fired column *and* a fired row get both terms from the same
//! old weight: columns are updated with both terms, then the fired rows
//! outside those columns with the depression term only.

use ndarray::{ArrayView2, ArrayViewMut2};

use super::elementwise::{RuleConsts, clip, updated};
use super::fused::{Lane, evolve_fused};
use super::inputs::{EvolveInputs, batch_row};
use super::params::ValidExpStdpParams;
use super::workspace::{EvolveWorkspace, sized};
use crate::error::Result;
use crate::math::vector::axpy;
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
fn lane_body<const LTD: bool, const FMA: bool>(
    w: &mut [f32],
    p: Lane,
    q: f32,
    r: Lane,
    k: &RuleConsts,
) {
    let n = w.len();
    let pv = &p.vec[..n];
    if LTD {
        let rv = &r.vec[..n];
        for i in 0..n {
            let new = updated::<true, FMA>(w[i], pv[i] * p.scale, q, rv[i] * r.scale, k);
            w[i] = clip(new, k.w_bound);
        }
    } else {
        for i in 0..n {
            let new = updated::<false, FMA>(w[i], pv[i] * p.scale, q, 0.0, k);
            w[i] = clip(new, k.w_bound);
        }
    }
}

#[inline(always)]
fn lane_ltp<const FMA: bool>(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) {
    lane_body::<false, FMA>(w, p, q, r, k)
}

#[inline(always)]
fn lane_ltd<const FMA: bool>(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) {
    lane_body::<true, FMA>(w, p, q, r, k)
}

/// Depression only, `w[j] ← clip(w + η·(A+·0 − A−·e^(−βw)·r_scale·r[j]))`, skipping `skip[j]`.
#[inline(always)]
fn ltd_row_body<const FMA: bool>(w: &mut [f32], r: Lane, skip: &[bool], k: &RuleConsts) {
    let n = w.len();
    let (rv, skip) = (&r.vec[..n], &skip[..n]);
    for j in 0..n {
        let new = clip(
            updated::<true, FMA>(w[j], 0.0, 0.0, rv[j] * r.scale, k),
            k.w_bound,
        );
        w[j] = if skip[j] { w[j] } else { new };
    }
}

crate::math::simd::dispatch!(fn update_lane_ltp(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) => lane_ltp);
crate::math::simd::dispatch!(fn update_lane_ltd(w: &mut [f32], p: Lane, q: f32, r: Lane, k: &RuleConsts) => lane_ltd);
crate::math::simd::dispatch!(fn update_ltd_row(w: &mut [f32], r: Lane, skip: &[bool], k: &RuleConsts) => ltd_row_body);

fn update_lane(w: &mut [f32], p: Lane, q: f32, r: Lane, ltd: bool, k: &RuleConsts) {
    if ltd {
        update_lane_ltd(w, p, q, r, k)
    } else {
        update_lane_ltp(w, p, q, r, k)
    }
}

/// Indices of the columns of `x` (`(B, n)`) with any non-zero entry, into `out`.
pub(crate) fn active(x: ArrayView2<f32>, mask: &mut Vec<bool>, out: &mut Vec<usize>) {
    out.clear();
    if x.nrows() == 1 {
        let row = x.row(0);
        match row.as_slice() {
            Some(s) => {
                for (j, &v) in s.iter().enumerate() {
                    if v != 0.0 {
                        out.push(j);
                    }
                }
            }
            None => out.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(j, _)| j),
            ),
        }
        return;
    }
    mask.clear();
    mask.resize(x.ncols(), false);
    for row in x.rows() {
        for (m, &v) in mask.iter_mut().zip(row.iter()) {
            *m |= v != 0.0;
        }
    }
    out.extend(mask.iter().enumerate().filter(|(_, m)| **m).map(|(j, _)| j));
}

/// Rows per block when fired columns of a row-major `W` are gathered: the
/// block's cache lines stay in L1/L2 between the gather and the scatter.
const GATHER_ROWS: usize = 64;
/// How many rows ahead the gather prefetches the fired columns' cache lines.
const PREFETCH_ROWS: usize = 8;

#[inline(always)]
fn prefetch(p: *const f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Runs `update(c, i0, lane)` on the fired columns `cols[c]` of `w`, where
/// `lane` holds rows `i0..i0 + lane.len()` of that column contiguously: in
/// place when columns are contiguous (column-major `W`); otherwise through
/// blocks of [`GATHER_ROWS`] rows gathered into a column-major buffer (with
/// prefetching, since each element sits in its own cache line) and scattered back.
fn for_each_column<F>(w: &mut ArrayViewMut2<f32>, cols: &[usize], buf: &mut Vec<f32>, mut update: F)
where
    F: FnMut(usize, usize, &mut [f32]),
{
    let (n_in, n_out) = w.dim();
    if cols.is_empty() || n_in == 0 {
        return;
    }
    if w.column(cols[0]).as_slice().is_some() {
        for (c, &j) in cols.iter().enumerate() {
            let mut col = w.column_mut(j);
            update(c, 0, col.as_slice_mut().expect("contiguous columns"));
        }
        return;
    }
    // The pointer arithmetic below relies on it: checked in release builds
    // too (O(fired columns), nothing next to the update itself).
    assert!(
        cols.iter().all(|&j| j < n_out),
        "fired column index out of range"
    );
    let m = cols.len();
    let lanes = sized(buf, m * GATHER_ROWS);
    let (s0, s1) = (w.strides()[0], w.strides()[1]);
    let base = w.as_mut_ptr();
    // SAFETY (all pointer arithmetic below): i < n_in and j < n_out (asserted
    // above), so every offset i*s0 + j*s1 is an element of `w`, which is
    // borrowed mutably for the whole call.
    let at = |i: usize, j: usize| unsafe { base.offset(i as isize * s0 + j as isize * s1) };
    for i0 in (0..n_in).step_by(GATHER_ROWS) {
        let h = GATHER_ROWS.min(n_in - i0);
        for i in i0..i0 + h {
            if i + PREFETCH_ROWS < n_in {
                for &j in cols {
                    prefetch(at(i + PREFETCH_ROWS, j));
                }
            }
            for (c, &j) in cols.iter().enumerate() {
                lanes[c * h + (i - i0)] = unsafe { *at(i, j) };
            }
        }
        for c in 0..m {
            update(c, i0, &mut lanes[c * h..(c + 1) * h]);
        }
        for i in i0..i0 + h {
            for (c, &j) in cols.iter().enumerate() {
                unsafe { *at(i, j) = lanes[c * h + (i - i0)] };
            }
        }
    }
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
    active(inputs.post, &mut ws.in_cols, &mut cols);
    if ltd {
        active(inputs.pre, &mut ws.in_cols, &mut rows);
    } else {
        rows.clear();
    }

    if b == 1 {
        let (x_pre, pre) = (batch_row(inputs.x_pre, 0), batch_row(inputs.pre, 0));
        let (x_pre, pre): (&[f32], &[f32]) = (&x_pre, &pre);
        let (post, x_post) = (inputs.post, inputs.x_post);
        for_each_column(w, &cols, &mut ws.gather_b, |c, i0, lane| {
            let j = cols[c];
            let post_j = post[[0, j]];
            let p = Lane {
                scale: post_j,
                vec: &x_pre[i0..],
            };
            let r = Lane {
                scale: x_post[[0, j]],
                vec: &pre[i0..],
            };
            update_lane(lane, p, x_tar * post_j, r, ltd, &k);
        });
    } else if !cols.is_empty() {
        // Sparse batch products, transposed so that each fired column is a
        // contiguous row: P[:, J]ᵀ[c, :] = Σ_b post[b, J[c]]·x_pre[b, :] (one
        // axpy per postsynaptic spike) and R[:, J]ᵀ[c, i] = Σ_b pre[b, i]·x_post[b, J[c]]
        // (one pass over J per presynaptic spike).
        let m = cols.len();
        let mut pot = std::mem::take(&mut ws.pot);
        let mut dep = std::mem::take(&mut ws.dep);
        let pot_t = sized(&mut pot, m * n_in);
        pot_t.fill(0.0);
        let q = sized(&mut ws.q, m);
        q.fill(0.0);
        for bi in 0..b {
            let x_pre_b = batch_row(inputs.x_pre, bi);
            for (c, &j) in cols.iter().enumerate() {
                let v = inputs.post[[bi, j]];
                if v != 0.0 {
                    axpy(&mut pot_t[c * n_in..(c + 1) * n_in], v, &x_pre_b);
                }
                q[c] += x_tar * v;
            }
        }
        if ltd {
            let dep_t = sized(&mut dep, m * n_in);
            dep_t.fill(0.0);
            for bi in 0..b {
                for (i, &a) in inputs.pre.row(bi).iter().enumerate() {
                    if a != 0.0 {
                        for (c, &j) in cols.iter().enumerate() {
                            dep_t[c * n_in + i] += a * inputs.x_post[[bi, j]];
                        }
                    }
                }
            }
        }
        let q = &ws.q;
        for_each_column(w, &cols, &mut ws.gather_b, |c, i0, lane| {
            let p = Lane {
                scale: 1.0,
                vec: &pot[c * n_in + i0..(c + 1) * n_in],
            };
            let r = if ltd {
                Lane {
                    scale: 1.0,
                    vec: &dep[c * n_in + i0..(c + 1) * n_in],
                }
            } else {
                p
            };
            update_lane(lane, p, q[c], r, ltd, &k);
        });
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
            // R[I, :] = Σ_b pre[b, I]ᵀ·x_post[b, :]: one axpy per presynaptic spike.
            let dep_i = sized(&mut dep, m * n_out);
            dep_i.fill(0.0);
            for bi in 0..b {
                let x_post_b = batch_row(inputs.x_post, bi);
                for (c, &i) in rows.iter().enumerate() {
                    let a = inputs.pre[[bi, i]];
                    if a != 0.0 {
                        axpy(&mut dep_i[c * n_out..(c + 1) * n_out], a, &x_post_b);
                    }
                }
            }
        }
        let x_post0 = batch_row(inputs.x_post, 0);
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
