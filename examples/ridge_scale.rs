//! Time and memory of the ridge readout (`network::ridge`) at the sizes of
//! the Diehl & Cook table: `n` features, 60,000 labelling examples with
//! sparse spike counts (`--spikes` per example on random neurons, default
//! 37 as measured at 6,400 neurons), the default λ grid.
//!
//!     cargo run --release --example ridge_scale -- [--n 6400] [--spikes 37]
//!
//! Prints the fit time and the process's peak resident memory (VmHWM).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stdp_harness::network::ridge::{SparseCounts, fit_ridge};

fn arg(args: &[String], key: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == key) {
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or_else(|| anyhow::anyhow!("{key} needs a value"))?
            .parse()?),
        None => Ok(default),
    }
}

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, "--n", 6400)?;
    let spikes = arg(&args, "--spikes", 37)?;
    let examples = 60_000;
    // A class-dependent code: each class excites its own tenth of the
    // neurons more often, so the fit has something to find.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut x = SparseCounts::new();
    let mut counts = vec![0u32; n];
    for e in 0..examples {
        let label = (e % 10) as u8;
        counts.fill(0);
        for _ in 0..spikes {
            let k = if rng.random_bool(0.6) {
                let band = n / 10;
                usize::from(label) * band + rng.random_range(0..band.max(1))
            } else {
                rng.random_range(0..n)
            };
            counts[k.min(n - 1)] += 1;
        }
        x.push(&counts, label);
    }
    let before = peak_rss_mb();
    let lambdas = [1e-1, 1.0, 1e1, 1e2, 1e3, 1e4, 1e5];
    let fit = fit_ridge(&x, n, &lambdas)?.expect("enough examples");
    println!(
        "n = {n}, {examples} examples, {spikes} spikes each: fit with {} λ in {:.2} s, λ = {}, held-out accuracy {:.2} %",
        lambdas.len(),
        fit.seconds,
        fit.readout.lambda,
        fit.held_out
            .iter()
            .find(|h| h.0 == fit.readout.lambda)
            .map_or(f64::NAN, |h| h.1)
    );
    println!(
        "peak resident memory: {:.0} MB (before the fit: {:.0} MB)",
        peak_rss_mb().unwrap_or(f64::NAN),
        before.unwrap_or(f64::NAN)
    );
    Ok(())
}
