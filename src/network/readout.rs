//! Labelling neurons and classifying examples from spike counts (Diehl & Cook 2015).
//!
//! Each neuron is assigned the class for which its mean spike count per
//! example is highest; an example is classified as the class whose assigned
//! neurons have the highest mean spike count.

/// Number of classes (digits).
pub const CLASSES: usize = 10;

/// Assigns each of `n` neurons a class from per-example spike counts
/// (`counts[e][k]`, example `e`, neuron `k`) and labels. Neurons that never
/// fired get class 0, as in the original code.
pub fn assign(counts: &[Vec<u32>], labels: &[u8], n: usize) -> Vec<u8> {
    let mut sums = vec![[0f64; CLASSES]; n];
    let mut per_class = [0usize; CLASSES];
    for (c, &l) in counts.iter().zip(labels) {
        per_class[l as usize] += 1;
        for (s, &x) in sums.iter_mut().zip(c) {
            s[l as usize] += f64::from(x);
        }
    }
    sums.iter()
        .map(|s| {
            let mut best = (0u8, 0.0f64);
            for class in 0..CLASSES {
                if per_class[class] > 0 {
                    let rate = s[class] / per_class[class] as f64;
                    if rate > best.1 {
                        best = (class as u8, rate);
                    }
                }
            }
            best.0
        })
        .collect()
}

/// The class whose assigned neurons fired most on average for `counts`;
/// ties go to the lowest class.
pub fn classify(assignments: &[u8], counts: &[u32]) -> u8 {
    let mut sum = [0f64; CLASSES];
    let mut num = [0usize; CLASSES];
    for (&a, &c) in assignments.iter().zip(counts) {
        sum[a as usize] += f64::from(c);
        num[a as usize] += 1;
    }
    let mut best = (0u8, f64::NEG_INFINITY);
    for class in 0..CLASSES {
        let rate = if num[class] > 0 {
            sum[class] / num[class] as f64
        } else {
            0.0
        };
        if rate > best.1 {
            best = (class as u8, rate);
        }
    }
    best.0
}

/// Fraction of `counts` classified as their `labels`.
pub fn accuracy(assignments: &[u8], counts: &[Vec<u32>], labels: &[u8]) -> f64 {
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
    fn neurons_take_the_class_they_fire_for_and_examples_follow() {
        // Neuron 0 fires for class 3, neuron 1 for class 7, neuron 2 never.
        let counts = vec![vec![5, 0, 0], vec![4, 1, 0], vec![0, 6, 0], vec![1, 3, 0]];
        let labels = [3, 3, 7, 7];
        let a = assign(&counts, &labels, 3);
        assert_eq!(a, vec![3, 7, 0]);
        assert_eq!(classify(&a, &[3, 0, 0]), 3);
        assert_eq!(classify(&a, &[0, 2, 0]), 7);
        assert_eq!(accuracy(&a, &counts, &labels), 1.0);
    }
}
