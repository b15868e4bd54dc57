//! A small end-to-end synapse run: Poisson spikes drive one `ExpStdpSynapse`.
//!
//! Each step: `in` ← Bernoulli spikes at a per-input rate (a fixed random
//! pattern of "on" inputs fires at `rate_on`, the rest at `rate_off`);
//! `x_pre` follows the set-to-1 trace (τ = `tau_pre` steps); `advance_state`
//! gives `out = in · W`; `x_post` is a leaky integral of `out`
//! (`x_post ← e^(−1/τ_post)·x_post + out`); then `evolve`. Weight statistics are
//! recorded every `stride` steps; the final weights are saved as `.npz` and HDF5.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::record::atomic::write_atomically;
use crate::synapse::exp_stdp::{Compartment, ExpStdpParams, ExpStdpSynapse, UniformInit};
use crate::synapse::trace::SetTrace;

/// Settings of the demo run.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Presynaptic inputs.
    pub n_in: usize,
    /// Postsynaptic units.
    pub n_out: usize,
    /// Steps to run.
    pub steps: usize,
    /// Spike probability per step of the "on" inputs.
    pub rate_on: f64,
    /// Spike probability per step of the other inputs.
    pub rate_off: f64,
    /// Fraction of inputs that are "on".
    pub frac_on: f64,
    /// Presynaptic trace time constant, in steps.
    pub tau_pre: f32,
    /// Postsynaptic trace time constant, in steps.
    pub tau_post: f32,
    /// Rule parameters.
    pub params: ExpStdpParams,
    /// Seed of the weights and of the spike trains.
    pub seed: u64,
    /// Record statistics every `stride` steps.
    pub stride: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            n_in: 784,
            n_out: 100,
            steps: 5000,
            rate_on: 0.05,
            rate_off: 0.005,
            frac_on: 0.2,
            tau_pre: 20.0,
            tau_post: 20.0,
            params: ExpStdpParams {
                eta: 1e-3,
                ..ExpStdpParams::default()
            },
            seed: 0,
            stride: 100,
        }
    }
}

/// What the demo wrote and measured.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    /// Mean weight of the "on" inputs' rows at the end.
    pub mean_w_on: f32,
    /// Mean weight of the other rows at the end.
    pub mean_w_off: f32,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Wall time of the simulation loop, seconds.
    pub seconds: f64,
}

/// Runs the demo and writes `weights.npz`, `weights.h5` and `stats.csv` into `out_dir`.
pub fn run_demo(cfg: &DemoConfig, out_dir: &Path) -> Result<DemoSummary> {
    let params = cfg.params.check()?;
    if cfg.stride == 0 {
        return Err(Error::InvalidParam {
            name: "stride",
            value: "0".into(),
            expected: "stride >= 1",
        });
    }
    for (name, r) in [
        ("rate_on", cfg.rate_on),
        ("rate_off", cfg.rate_off),
        ("frac_on", cfg.frac_on),
    ] {
        if !(0.0..=1.0).contains(&r) {
            return Err(Error::InvalidParam {
                name,
                value: r.to_string(),
                expected: "a probability in [0, 1]",
            });
        }
    }
    let mut syn = ExpStdpSynapse::new(
        "weights",
        (cfg.n_in, cfg.n_out),
        params,
        &UniformInit::seeded(cfg.seed),
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5EED_5EED);
    let on: Array1<bool> = (0..cfg.n_in)
        .map(|_| rng.random_bool(cfg.frac_on))
        .collect();
    let pre_trace = SetTrace::new(cfg.tau_pre, 1.0);
    let post_decay = (-1.0 / cfg.tau_post).exp();
    let mut x_pre = Array2::<f32>::zeros((1, cfg.n_in));
    let mut x_post = Array2::<f32>::zeros((1, cfg.n_out));
    let mut rows = Vec::new();
    let t0 = std::time::Instant::now();
    for step in 0..cfg.steps {
        let spikes: Array2<f32> = Array2::from_shape_fn((1, cfg.n_in), |(_, i)| {
            let p = if on[i] { cfg.rate_on } else { cfg.rate_off };
            f32::from(u8::from(rng.random_bool(p)))
        });
        pre_trace.step(&mut x_pre.view_mut(), spikes.view());
        syn.set(Compartment::In, spikes)?;
        syn.advance_state()?;
        let out = syn.get(Compartment::Out).cloned().unwrap_or_default();
        x_post.zip_mut_with(&out, |x, &o| *x = *x * post_decay + o);
        syn.set(Compartment::XPre, x_pre.clone())?;
        syn.set(Compartment::XPost, x_post.clone())?;
        syn.evolve()?;
        if (step + 1) % cfg.stride == 0 || step + 1 == cfg.steps {
            let w = syn.weights();
            let mean = w.mean().unwrap_or(0.0);
            let std = w.std(0.0);
            rows.push(format!("{},{mean},{std},{}", step + 1, out.sum()));
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let row_means = syn.weights().mean_axis(Axis(1)).unwrap_or_default();
    let mean_of = |want: bool| {
        let v: Vec<f32> = row_means
            .iter()
            .zip(on.iter())
            .filter(|(_, o)| **o == want)
            .map(|(m, _)| *m)
            .collect();
        if v.is_empty() {
            f32::NAN
        } else {
            v.iter().sum::<f32>() / v.len() as f32
        }
    };
    let stats = out_dir.join("stats.csv");
    write_atomically(&stats, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        writeln!(f, "step,w_mean,w_std,out_sum").map_err(|e| Error::io(tmp, e))?;
        for r in &rows {
            writeln!(f, "{r}").map_err(|e| Error::io(tmp, e))?;
        }
        Ok(())
    })?;
    let files = vec![syn.save(out_dir)?, syn.save_hdf5(out_dir)?, stats];
    Ok(DemoSummary {
        mean_w_on: mean_of(true),
        mean_w_off: mean_of(false),
        files,
        seconds,
    })
}
