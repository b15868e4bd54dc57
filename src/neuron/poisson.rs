//! Poisson spike trains for image inputs: input `i` fires with rate
//! `pixel_i / 8 · intensity` Hz (Diehl & Cook 2015; 0-63.75 Hz at intensity 2).
//!
//! As in a clock-driven simulator, input `i` spikes in each step of length
//! `dt` independently with probability `p_i = rate_i · dt`. The steps between
//! spikes are drawn directly (geometric gaps), so the cost follows the number
//! of spikes, not `inputs × steps`; the distribution is the same.

use rand::Rng;

/// The spikes of one presentation, grouped by step (compressed rows).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpikeTrain {
    /// `offsets[t]..offsets[t + 1]` indexes the inputs firing in step `t`.
    pub offsets: Vec<u32>,
    /// Input indices, step by step, ascending within a step.
    pub inputs: Vec<u32>,
    pairs: Vec<(u32, u32)>,
}

impl SpikeTrain {
    /// Steps covered.
    pub fn steps(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Inputs firing in step `t`.
    pub fn at(&self, t: usize) -> &[u32] {
        &self.inputs[self.offsets[t] as usize..self.offsets[t + 1] as usize]
    }

    /// Total spikes.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Whether there are no spikes.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// Rate in Hz of a pixel at the given intensity: `pixel / 8 · intensity`.
pub fn pixel_rate_hz(pixel: u8, intensity: f64) -> f64 {
    f64::from(pixel) / 8.0 * intensity
}

/// Fills `train` with `steps` steps of spikes of `pixels` at `intensity`,
/// step length `dt_ms`, drawing from `rng`.
pub fn encode<R: Rng>(
    pixels: &[u8],
    intensity: f64,
    steps: usize,
    dt_ms: f64,
    rng: &mut R,
    train: &mut SpikeTrain,
) {
    let mut pairs = std::mem::take(&mut train.pairs);
    pairs.clear();
    for (i, &px) in pixels.iter().enumerate() {
        let p = (pixel_rate_hz(px, intensity) * dt_ms / 1000.0).min(1.0);
        if p <= 0.0 {
            continue;
        }
        if p >= 1.0 {
            pairs.extend((0..steps).map(|t| (t as u32, i as u32)));
            continue;
        }
        // Gap to the next spike ~ Geometric(p) on {0, 1, ...}: floor(ln U / ln(1 − p)).
        let log_q = (-p).ln_1p();
        let mut t = 0usize;
        loop {
            let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
            t += (u.ln() / log_q).floor() as usize;
            if t >= steps {
                break;
            }
            pairs.push((t as u32, i as u32));
            t += 1;
        }
    }
    pairs.sort_unstable();
    train.offsets.clear();
    train.offsets.resize(steps + 1, 0);
    for &(t, _) in &pairs {
        train.offsets[t as usize + 1] += 1;
    }
    for t in 0..steps {
        train.offsets[t + 1] += train.offsets[t];
    }
    train.inputs.clear();
    train.inputs.extend(pairs.iter().map(|&(_, i)| i));
    train.pairs = pairs;
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn mean_count_matches_rate_and_dark_pixels_stay_silent() {
        let pixels: Vec<u8> = (0..784)
            .map(|i| if i % 3 == 0 { 0 } else { (i % 256) as u8 })
            .collect();
        let (steps, dt, intensity) = (700, 0.5, 2.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut train = SpikeTrain::default();
        let mut total = 0usize;
        let reps = 50;
        for _ in 0..reps {
            encode(&pixels, intensity, steps, dt, &mut rng, &mut train);
            assert_eq!(train.steps(), steps);
            for t in 0..steps {
                let at = train.at(t);
                assert!(
                    at.windows(2).all(|w| w[0] < w[1]),
                    "sorted, no duplicates in a step"
                );
                assert!(
                    at.iter().all(|&i| pixels[i as usize] > 0),
                    "dark pixels never fire"
                );
            }
            total += train.len();
        }
        let expected: f64 = pixels
            .iter()
            .map(|&p| pixel_rate_hz(p, intensity) * dt / 1000.0 * steps as f64)
            .sum::<f64>()
            * reps as f64;
        let sigma = expected.sqrt();
        assert!(
            ((total as f64) - expected).abs() < 5.0 * sigma,
            "{total} spikes, expected {expected:.0} ± {sigma:.0}"
        );
    }

    #[test]
    fn same_seed_same_train() {
        let pixels = vec![200u8; 50];
        let mut a = SpikeTrain::default();
        let mut b = SpikeTrain::default();
        encode(
            &pixels,
            2.0,
            100,
            0.5,
            &mut ChaCha8Rng::seed_from_u64(9),
            &mut a,
        );
        encode(
            &pixels,
            2.0,
            100,
            0.5,
            &mut ChaCha8Rng::seed_from_u64(9),
            &mut b,
        );
        assert_eq!(a.offsets, b.offsets);
        assert_eq!(a.inputs, b.inputs);
        assert!(!a.is_empty());
    }
}
