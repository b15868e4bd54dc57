//! Labelling neurons and classifying examples from spike counts (Diehl & Cook
//! 2015, as the original's `Diehl&Cook_MNIST_evaluation.py` does it).
//!
//! Each neuron is assigned the class for which its mean spike count per
//! example is highest; a neuron that never fired stays unassigned
//! ([`UNASSIGNED`], `-1` in the original) and takes no part in the vote. An
//! example is classified as the class whose assigned neurons have the highest
//! mean spike count (classes without neurons score 0; ties go to the highest
//! class, as the original's `np.argsort(summed_rates)[::-1]` does: NumPy
//! sorts ten values by insertion sort, which keeps equal values in index
//! order, and the reversal puts the highest index first). Assignments keep
//! the original's strict `>` over ascending classes: their ties go to the
//! lowest class.
//!
//! The responses are accumulated example by example ([`ClassRates`]), so
//! labelling from 60,000 examples needs `10 · n` sums, not `60,000 · n` counts.

/// Number of classes (digits).
pub const CLASSES: usize = 10;

/// The assignment of a neuron that never fired.
pub const UNASSIGNED: i8 = -1;

/// Per-neuron, per-class spike sums and per-class example counts.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRates {
    sums: Vec<[f64; CLASSES]>,
    examples: [u64; CLASSES],
}

impl ClassRates {
    /// Empty sums for `n` neurons.
    pub fn new(n: usize) -> Self {
        ClassRates {
            sums: vec![[0.0; CLASSES]; n],
            examples: [0; CLASSES],
        }
    }

    /// Adds one example's spike counts with its label.
    pub fn add(&mut self, counts: &[u32], label: u8) {
        let l = usize::from(label);
        self.examples[l] += 1;
        for (s, &c) in self.sums.iter_mut().zip(counts) {
            if c != 0 {
                s[l] += f64::from(c);
            }
        }
    }

    /// Examples added so far.
    pub fn len(&self) -> u64 {
        self.examples.iter().sum()
    }

    /// Whether no example was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mean spikes per example of each neuron for each class, `(n, 10)`
    /// row-major (0 for classes without examples).
    pub fn rates(&self) -> Vec<f64> {
        self.sums
            .iter()
            .flat_map(|s| {
                (0..CLASSES).map(|c| {
                    if self.examples[c] > 0 {
                        s[c] / self.examples[c] as f64
                    } else {
                        0.0
                    }
                })
            })
            .collect()
    }

    /// Each neuron's class: the one with the highest mean count, strictly
    /// above 0 (else [`UNASSIGNED`]); ties to the lowest class.
    pub fn assignments(&self) -> Vec<i8> {
        let rates = self.rates();
        rates
            .chunks_exact(CLASSES)
            .map(|r| {
                let mut best = (UNASSIGNED, 0.0f64);
                for (class, &rate) in r.iter().enumerate() {
                    if rate > best.1 {
                        best = (class as i8, rate);
                    }
                }
                best.0
            })
            .collect()
    }

    /// The share of all the spikes added that the `top` most active neurons
    /// fired (0 when nothing fired): about `top / n` when every neuron
    /// answers its own digits, near 1 when a few neurons answer every
    /// example.
    pub fn top_share(&self, top: usize) -> f64 {
        let mut totals: Vec<f64> = self.sums.iter().map(|s| s.iter().sum()).collect();
        let all: f64 = totals.iter().sum();
        if all == 0.0 {
            return 0.0;
        }
        totals.sort_by(|a, b| b.total_cmp(a));
        totals.iter().take(top).sum::<f64>() / all
    }

    /// Clears the sums.
    pub fn clear(&mut self) {
        self.sums.iter_mut().for_each(|s| *s = [0.0; CLASSES]);
        self.examples = [0; CLASSES];
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.sums.len()
    }

    /// The raw state (sums `(n, 10)` row-major, then per-class example
    /// counts), for checkpoints.
    pub fn to_parts(&self) -> (Vec<f64>, Vec<u64>) {
        (
            self.sums.iter().flatten().copied().collect(),
            self.examples.to_vec(),
        )
    }

    /// Rebuilds from [`to_parts`](Self::to_parts); `None` when the lengths do
    /// not fit `n` neurons.
    pub fn from_parts(n: usize, sums: &[f64], examples: &[u64]) -> Option<Self> {
        if sums.len() != n * CLASSES || examples.len() != CLASSES {
            return None;
        }
        let mut e = [0u64; CLASSES];
        e.copy_from_slice(examples);
        Some(ClassRates {
            sums: sums
                .chunks_exact(CLASSES)
                .map(|c| {
                    let mut s = [0.0; CLASSES];
                    s.copy_from_slice(c);
                    s
                })
                .collect(),
            examples: e,
        })
    }
}

/// Assigns each of `n` neurons a class from per-example spike counts
/// (`counts[e][k]`, example `e`, neuron `k`) and labels.
pub fn assign(counts: &[Vec<u32>], labels: &[u8], n: usize) -> Vec<i8> {
    let mut r = ClassRates::new(n);
    for (c, &l) in counts.iter().zip(labels) {
        r.add(c, l);
    }
    r.assignments()
}

/// The class whose assigned neurons fired most on average for `counts`;
/// unassigned neurons do not vote; ties go to the highest class (the
/// original's `argsort()[::-1]`).
pub fn classify(assignments: &[i8], counts: &[u32]) -> u8 {
    let mut sum = [0f64; CLASSES];
    let mut num = [0usize; CLASSES];
    for (&a, &c) in assignments.iter().zip(counts) {
        if a >= 0 {
            sum[a as usize] += f64::from(c);
            num[a as usize] += 1;
        }
    }
    let mut best = (0u8, f64::NEG_INFINITY);
    for class in 0..CLASSES {
        let rate = if num[class] > 0 {
            sum[class] / num[class] as f64
        } else {
            0.0
        };
        if rate >= best.1 {
            best = (class as u8, rate);
        }
    }
    best.0
}

/// Fraction of `counts` classified as their `labels`.
pub fn accuracy(assignments: &[i8], counts: &[Vec<u32>], labels: &[u8]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = counts
        .iter()
        .zip(labels)
        .filter(|(c, l)| classify(assignments, c) == **l)
        .count();
    right as f64 / labels.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_share_is_the_most_active_neurons_part_of_all_spikes() {
        let mut r = ClassRates::new(4);
        assert_eq!(r.top_share(1), 0.0, "nothing fired");
        // Totals over both examples: 1, 8, 0, 3 spikes of 12.
        r.add(&[1, 6, 0, 2], 0);
        r.add(&[0, 2, 0, 1], 5);
        assert_eq!(r.top_share(1), 8.0 / 12.0);
        assert_eq!(r.top_share(2), 11.0 / 12.0);
        assert_eq!(r.top_share(10), 1.0);
    }

    #[test]
    fn neurons_take_the_class_they_fire_for_and_examples_follow() {
        // Neuron 0 fires for class 3, neuron 1 for class 7.
        let counts = vec![vec![5, 0], vec![4, 1], vec![0, 6], vec![1, 3]];
        let labels = [3, 3, 7, 7];
        let a = assign(&counts, &labels, 2);
        assert_eq!(a, vec![3, 7]);
        assert_eq!(classify(&a, &[3, 0]), 3);
        assert_eq!(classify(&a, &[0, 2]), 7);
        assert_eq!(accuracy(&a, &counts, &labels), 1.0);
    }

    #[test]
    fn neurons_that_never_fired_are_unassigned_and_do_not_vote() {
        // Neuron 2 never fires while labelling: unassigned, not class 0.
        let counts = vec![vec![2, 0, 0], vec![0, 3, 0]];
        let a = assign(&counts, &[1, 4], 3);
        assert_eq!(a, vec![1, 4, UNASSIGNED]);
        // Were neuron 2 counted as class 0 it would win this vote (9 spikes
        // against class 1's 1): unassigned, it does not vote.
        assert_eq!(classify(&a, &[1, 0, 9]), 1);
        // With only unassigned neurons firing, every class scores 0: the
        // tie goes to the highest class, as in the original's argsort()[::-1].
        assert_eq!(classify(&a, &[0, 0, 9]), 9);
    }

    #[test]
    fn vote_ties_go_to_the_highest_class() {
        // Classes 2 and 6 each have one neuron with 4 spikes.
        let a = vec![2, 6, 1];
        assert_eq!(classify(&a, &[4, 4, 1]), 6);
        assert_eq!(classify(&a, &[4, 3, 1]), 2);
    }

    #[test]
    fn class_rates_survive_a_round_trip_through_their_parts() {
        let mut r = ClassRates::new(2);
        r.add(&[1, 2], 3);
        r.add(&[0, 5], 9);
        let (s, e) = r.to_parts();
        assert_eq!(ClassRates::from_parts(2, &s, &e), Some(r.clone()));
        assert_eq!(ClassRates::from_parts(3, &s, &e), None);
        assert_eq!(r.len(), 2);
        assert_eq!(r.assignments(), vec![3, 9]);
    }
}
