//! Per-instance weight and activity statistics, recorded every `stride` steps.
//!
//! Stored column-wise ([`StatsTable`]): `step`, `instance`, then the `f64`
//! columns of [`FLOAT_COLUMNS`]. The same columns go to Parquet, CSV and HDF5.

use ndarray::ArrayView2;

/// Names of the floating-point columns, in order.
pub const FLOAT_COLUMNS: [&str; 11] = [
    "w_mean",
    "w_std",
    "w_min",
    "w_max",
    "frac_at_lower",
    "frac_at_upper",
    "mean_abs_dw",
    "pre_rate",
    "post_rate",
    "row_norm_mean",
    "out_mean",
];

/// Column-wise statistics of one or more instances.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsTable {
    /// Step after which the row was taken (1-based: `step` updates done).
    pub step: Vec<u64>,
    /// Instance index.
    pub instance: Vec<u32>,
    /// One vector per entry of [`FLOAT_COLUMNS`].
    pub floats: [Vec<f64>; FLOAT_COLUMNS.len()],
}

/// Activity counted since the previous row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ActivityWindow {
    /// Presynaptic spikes.
    pub pre_spikes: u64,
    /// Postsynaptic spikes.
    pub post_spikes: u64,
    /// Sum over steps of the mean projection `mean(in · W)`.
    pub out_sum: f64,
    /// Steps counted.
    pub steps: u64,
}

impl StatsTable {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.step.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.step.is_empty()
    }

    /// Appends the rows of `other`.
    pub fn extend(&mut self, other: &StatsTable) {
        self.step.extend_from_slice(&other.step);
        self.instance.extend_from_slice(&other.instance);
        for (a, b) in self.floats.iter_mut().zip(&other.floats) {
            a.extend_from_slice(b);
        }
    }

    /// The column called `name` of [`FLOAT_COLUMNS`].
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        FLOAT_COLUMNS
            .iter()
            .position(|c| *c == name)
            .map(|k| self.floats[k].as_slice())
    }

    /// Appends one row computed from the weights after the update (`w`), the
    /// weights before it (`w_prev`), the rule's clip bounds `(w_min, w_max)`
    /// (`frac_at_lower`/`frac_at_upper` count weights at or beyond them), and the activity window
    /// (`n_pre`, `n_post`: units per step, batch rows included).
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        step: u64,
        instance: u32,
        w: ArrayView2<f32>,
        w_prev: ArrayView2<f32>,
        (w_min, w_max): (f32, f32),
        window: &ActivityWindow,
        n_pre: usize,
        n_post: usize,
    ) {
        let n = w.len().max(1) as f64;
        let (mut sum, mut sq, mut lo, mut hi) = (0.0f64, 0.0f64, f64::INFINITY, f64::NEG_INFINITY);
        let (mut at_lo, mut at_hi, mut dw, mut norms) = (0u64, 0u64, 0.0f64, 0.0f64);
        // One pass, row by row: every statistic, including the row norms.
        for (row, prev) in w.rows().into_iter().zip(w_prev.rows()) {
            let mut row_sq = 0.0f64;
            for (&x, &p) in row.iter().zip(prev.iter()) {
                let xf = f64::from(x);
                sum += xf;
                row_sq += xf * xf;
                lo = lo.min(xf);
                hi = hi.max(xf);
                at_lo += u64::from(x <= w_min);
                at_hi += u64::from(x >= w_max);
                dw += (xf - f64::from(p)).abs();
            }
            sq += row_sq;
            norms += row_sq.sqrt();
        }
        let mean = sum / n;
        let var = (sq / n - mean * mean).max(0.0);
        let row_norm_mean = norms / w.nrows().max(1) as f64;
        let steps = window.steps.max(1) as f64;
        let values = [
            mean,
            var.sqrt(),
            lo,
            hi,
            at_lo as f64 / n,
            at_hi as f64 / n,
            dw / n,
            window.pre_spikes as f64 / (steps * n_pre.max(1) as f64),
            window.post_spikes as f64 / (steps * n_post.max(1) as f64),
            row_norm_mean,
            window.out_sum / steps,
        ];
        self.step.push(step);
        self.instance.push(instance);
        for (col, v) in self.floats.iter_mut().zip(values) {
            col.push(v);
        }
    }
}
