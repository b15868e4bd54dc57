//! A linear readout beside the paper's vote: ridge regression from the
//! labelling pass's spike counts to the ten classes.
//!
//! Features are one spike count per excitatory neuron plus a constant 1 (the
//! bias); targets are one-hot classes. With `X` the `(examples, n + 1)`
//! features and `Y` the `(examples, 10)` targets, the weights solve
//!
//! `(XᵀX + λ·D) B = XᵀY`, `D = diag(1, …, 1, 0)` (the bias is not penalised),
//!
//! in f64 by a Cholesky factorisation (LAPACK through `ndarray-linalg`). An
//! example is classified as the class of its largest score `[x, 1]·B` (ties
//! to the lowest class).
//!
//! λ is chosen on held-out labelling examples: the readout is fitted on the
//! first [`HOLD_OUT_FRACTION`] of the labelling presentations for every λ of
//! the grid, the λ with the best accuracy on the rest is kept (the smallest
//! among equals), and the readout is fitted again with it on every labelling
//! presentation. In the paper's protocol the labelling pass shows training
//! images 0-59,999 in order, so the held-out sixth is exactly the validation
//! images 50,000-59,999.
//!
//! Spike counts are sparse (tens of spikes per example among thousands of
//! neurons), so they are kept as [`SparseCounts`] and `XᵀX` is accumulated
//! from their nonzeros: `(n + 1)²` f64 (328 MB at 6,400 neurons) plus one
//! copy for the factorisation.

use std::time::Instant;

use ndarray::{Array1, Array2};
use ndarray_linalg::{FactorizeCInto, SolveC, UPLO};

use super::readout::CLASSES;
use crate::error::{Error, Result};

/// Share of the labelling presentations the readout is fitted on while λ is
/// chosen (the rest is held out): 5/6.
pub const HOLD_OUT_FRACTION: (usize, usize) = (5, 6);

/// Fewest labelling presentations with which a readout is fitted (below, the
/// held-out part would be too small to choose λ).
pub const MIN_EXAMPLES: usize = 12;

/// Per-example spike counts, stored by their nonzeros (with the labels).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseCounts {
    /// Start of each example's nonzeros in `neurons`/`counts`, then the end.
    offsets: Vec<u64>,
    neurons: Vec<u32>,
    counts: Vec<u32>,
    labels: Vec<u8>,
}

impl SparseCounts {
    /// No examples.
    pub fn new() -> Self {
        SparseCounts {
            offsets: vec![0],
            ..Default::default()
        }
    }

    /// Adds one example's counts (one per neuron) and its label.
    pub fn push(&mut self, counts: &[u32], label: u8) {
        for (k, &c) in counts.iter().enumerate() {
            if c != 0 {
                self.neurons.push(k as u32);
                self.counts.push(c);
            }
        }
        self.offsets.push(self.neurons.len() as u64);
        self.labels.push(label);
    }

    /// Examples held.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether no example is held.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Example `e`'s nonzeros, as (neuron, count), and its label.
    fn example(&self, e: usize) -> (impl Iterator<Item = (usize, f64)> + '_, u8) {
        let (a, b) = (self.offsets[e] as usize, self.offsets[e + 1] as usize);
        let it = self.neurons[a..b]
            .iter()
            .zip(&self.counts[a..b])
            .map(|(&k, &c)| (k as usize, f64::from(c)));
        (it, self.labels[e])
    }

    /// The raw parts (offsets, neurons, counts, labels), for checkpoints.
    pub fn to_parts(&self) -> (&[u64], &[u32], &[u32], &[u8]) {
        (&self.offsets, &self.neurons, &self.counts, &self.labels)
    }

    /// Rebuilds from [`to_parts`](Self::to_parts); `None` when the parts
    /// are inconsistent or name a neuron `>= n`.
    pub fn from_parts(
        n: usize,
        offsets: Vec<u64>,
        neurons: Vec<u32>,
        counts: Vec<u32>,
        labels: Vec<u8>,
    ) -> Option<Self> {
        let ok = offsets.first() == Some(&0)
            && offsets.len() == labels.len() + 1
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets.last().copied() == Some(neurons.len() as u64)
            && neurons.len() == counts.len()
            && neurons.iter().all(|&k| (k as usize) < n)
            && labels.iter().all(|&l| usize::from(l) < CLASSES);
        ok.then_some(SparseCounts {
            offsets,
            neurons,
            counts,
            labels,
        })
    }
}

/// `XᵀX` and `XᵀY` of examples `range` (features: counts, then the bias).
fn normal_equations(
    x: &SparseCounts,
    n: usize,
    range: std::ops::Range<usize>,
) -> (Array2<f64>, Array2<f64>) {
    let mut gram = Array2::<f64>::zeros((n + 1, n + 1));
    let mut rhs = Array2::<f64>::zeros((n + 1, CLASSES));
    add_normal_equations(x, n, range, &mut gram, &mut rhs);
    (gram, rhs)
}

/// Adds `XᵀX` and `XᵀY` of examples `range` to `gram` (lower triangle) and `rhs`.
fn add_normal_equations(
    x: &SparseCounts,
    n: usize,
    range: std::ops::Range<usize>,
    gram: &mut Array2<f64>,
    rhs: &mut Array2<f64>,
) {
    let mut nz: Vec<(usize, f64)> = Vec::new();
    for e in range {
        let (it, label) = x.example(e);
        nz.clear();
        nz.extend(it);
        nz.push((n, 1.0));
        let l = usize::from(label);
        for &(i, a) in &nz {
            // The lower triangle is all the factorisation reads.
            for &(j, b) in nz.iter().take_while(|&&(j, _)| j <= i) {
                gram[[i, j]] += a * b;
            }
            rhs[[i, l]] += a;
        }
    }
}

/// Solves `(G + λ·D) B = R` (only `G`'s lower triangle is read).
fn solve(gram: &Array2<f64>, rhs: &Array2<f64>, lambda: f64) -> Result<Array2<f64>> {
    let n1 = gram.nrows();
    let mut a = gram.clone();
    for i in 0..n1 - 1 {
        a[[i, i]] += lambda;
    }
    let factor = a
        .factorizec_into(UPLO::Lower)
        .map_err(|e| Error::Numeric(format!("ridge readout, λ = {lambda}: {e}")))?;
    let mut b = Array2::<f64>::zeros((n1, CLASSES));
    for c in 0..CLASSES {
        let mut col: Array1<f64> = rhs.column(c).to_owned();
        factor
            .solvec_inplace(&mut col)
            .map_err(|e| Error::Numeric(format!("ridge readout, λ = {lambda}: {e}")))?;
        b.column_mut(c).assign(&col);
    }
    Ok(b)
}

/// A fitted readout: `(n + 1, 10)` weights, the bias row last.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeReadout {
    /// Weights `B`, `(n + 1, 10)`.
    pub weights: Array2<f64>,
    /// The λ it was fitted with.
    pub lambda: f64,
}

impl RidgeReadout {
    /// The class with the largest score `[counts, 1]·B` (ties to the lowest).
    pub fn classify(&self, counts: &[u32]) -> u8 {
        let n = self.weights.nrows() - 1;
        let mut score: [f64; CLASSES] = std::array::from_fn(|c| self.weights[[n, c]]);
        for (k, &x) in counts.iter().enumerate().take(n) {
            if x != 0 {
                let row = self.weights.row(k);
                for (s, &b) in score.iter_mut().zip(row.iter()) {
                    *s += f64::from(x) * b;
                }
            }
        }
        let mut best = 0;
        for c in 1..CLASSES {
            if score[c] > score[best] {
                best = c;
            }
        }
        best as u8
    }

    fn accuracy(&self, x: &SparseCounts, n: usize, range: std::ops::Range<usize>) -> f64 {
        let total = range.len();
        let mut counts = vec![0u32; n];
        let mut right = 0;
        for e in range {
            counts.fill(0);
            let (it, label) = x.example(e);
            for (k, c) in it {
                counts[k] = c as u32;
            }
            right += usize::from(self.classify(&counts) == label);
        }
        right as f64 / total.max(1) as f64
    }
}

/// A readout with how its λ was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeFit {
    /// The readout, fitted on every labelling presentation.
    pub readout: RidgeReadout,
    /// (λ, held-out accuracy in percent) for every λ of the grid.
    pub held_out: Vec<(f64, f64)>,
    /// Wall time of the fits, s.
    pub seconds: f64,
}

/// Fits the readout on `x` (`n` neurons), choosing λ from `lambdas` on the
/// held-out last sixth (see the module docs). `None` with fewer than
/// [`MIN_EXAMPLES`] examples.
pub fn fit_ridge(x: &SparseCounts, n: usize, lambdas: &[f64]) -> Result<Option<RidgeFit>> {
    let total = x.len();
    if total < MIN_EXAMPLES || lambdas.is_empty() {
        return Ok(None);
    }
    let t0 = Instant::now();
    let split = total * HOLD_OUT_FRACTION.0 / HOLD_OUT_FRACTION.1;
    let (mut gram, mut rhs) = normal_equations(x, n, 0..split);
    let mut held_out = Vec::with_capacity(lambdas.len());
    let mut best = (f64::NEG_INFINITY, lambdas[0]);
    for &lambda in lambdas {
        let weights = solve(&gram, &rhs, lambda)?;
        let acc = 100.0 * RidgeReadout { weights, lambda }.accuracy(x, n, split..total);
        held_out.push((lambda, acc));
        if acc > best.0 || (acc == best.0 && lambda < best.1) {
            best = (acc, lambda);
        }
    }
    add_normal_equations(x, n, split..total, &mut gram, &mut rhs);
    let weights = solve(&gram, &rhs, best.1)?;
    Ok(Some(RidgeFit {
        readout: RidgeReadout {
            weights,
            lambda: best.1,
        },
        held_out,
        seconds: t0.elapsed().as_secs_f64(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_solution_of_a_hand_made_system_is_recovered() {
        // Two neurons, examples with counts (1, 0) → class 0, (0, 1) → class 1,
        // (1, 1) → class 2, each once. Then with b = bias row:
        // XᵀX + λD = [[2+λ, 1, 2], [1, 2+λ, 2], [2, 2, 3]],
        // XᵀY = [[1, 0, 1], [0, 1, 1], [1, 1, 1]] (columns 0-2; others 0).
        let mut x = SparseCounts::new();
        x.push(&[1, 0], 0);
        x.push(&[0, 1], 1);
        x.push(&[1, 1], 2);
        let (g, r) = normal_equations(&x, 2, 0..3);
        assert_eq!(g[[0, 0]], 2.0);
        assert_eq!(g[[1, 0]], 1.0);
        assert_eq!(g[[2, 0]], 2.0);
        assert_eq!(g[[2, 1]], 2.0);
        assert_eq!(g[[2, 2]], 3.0);
        // λ = 1 (the bias not penalised): A = [[3, 1, 2], [1, 3, 2], [2, 2, 3]].
        // Solved by hand: class 0 (rhs [1, 0, 1]): a − b = 1/2 from rows 0−1,
        // then s = −4b/3 and b = −3/8: B = [1/8, −3/8, 1/2]; class 1 mirrors
        // it; class 2 (rhs [1, 1, 1]): 4t + 2s = 4t + 3s = 1: [1/4, 1/4, 0].
        let b = solve(&g, &r, 1.0).unwrap();
        let want = [
            [0.125, -0.375, 0.25],
            [-0.375, 0.125, 0.25],
            [0.5, 0.5, 0.0],
        ];
        for i in 0..3 {
            for c in 0..3 {
                assert!(
                    (b[[i, c]] - want[i][c]).abs() < 1e-12,
                    "B[{i}, {c}] = {}",
                    b[[i, c]]
                );
            }
            for c in 3..CLASSES {
                assert_eq!(b[[i, c]], 0.0, "classes without examples score 0");
            }
        }
        let readout = RidgeReadout {
            weights: b,
            lambda: 1.0,
        };
        assert_eq!(readout.classify(&[1, 0]), 0);
        assert_eq!(readout.classify(&[0, 1]), 1);
        assert_eq!(readout.classify(&[1, 1]), 2);
    }

    #[test]
    fn a_linearly_separable_code_is_read_out_perfectly() {
        // Neuron c fires 3 spikes for class c (and neuron 10 at random-ish).
        let n = 11;
        let mut x = SparseCounts::new();
        for e in 0..120 {
            let label = (e % 10) as u8;
            let mut counts = vec![0u32; n];
            counts[usize::from(label)] = 3;
            counts[10] = (e % 3) as u32;
            x.push(&counts, label);
        }
        let fit = fit_ridge(&x, n, &[1e-3, 1.0, 1e6]).unwrap().unwrap();
        assert_eq!(fit.held_out.len(), 3);
        assert!(fit.held_out[0].1 == 100.0, "{:?}", fit.held_out);
        assert!(fit.readout.lambda < 1e6);
        let mut counts = vec![0u32; n];
        counts[7] = 2;
        assert_eq!(fit.readout.classify(&counts), 7);
    }

    #[test]
    fn sparse_counts_survive_a_round_trip_and_refuse_bad_parts() {
        let mut x = SparseCounts::new();
        x.push(&[0, 2, 0, 1], 4);
        x.push(&[0, 0, 0, 0], 9);
        let (o, k, c, l) = x.to_parts();
        let y = SparseCounts::from_parts(4, o.to_vec(), k.to_vec(), c.to_vec(), l.to_vec());
        assert_eq!(y.as_ref(), Some(&x));
        assert!(
            SparseCounts::from_parts(3, o.to_vec(), k.to_vec(), c.to_vec(), l.to_vec()).is_none()
        );
        assert!(
            SparseCounts::from_parts(4, vec![0, 1], k.to_vec(), c.to_vec(), l.to_vec()).is_none()
        );
    }
}
