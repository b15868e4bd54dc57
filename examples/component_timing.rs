//! The Rust side of `python/bench/overhead.py`: the same `ExpStdpSynapse`
//! calls on the same inputs (the script's `DIR/<case>.npz`), timed per
//! call, so that the difference is what the Python binding adds.
//!
//!     OPENBLAS_NUM_THREADS=1 cargo run --release --example component_timing -- DIR

use std::time::Instant;

use ndarray::{Array3, Axis};
use ndarray_npy::NpzReader;
use stdp_harness::synapse::exp_stdp::{Compartment, ExpStdpParams, ExpStdpSynapse, UniformInit};

const CASES: [(usize, usize); 4] = [(400, 1), (400, 64), (6400, 1), (6400, 64)];

fn median_us(calls: usize, mut f: impl FnMut(usize) -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut t = Vec::with_capacity(calls);
    for k in 0..calls {
        let t0 = Instant::now();
        f(k)?;
        t.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[calls / 2])
}

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).ok_or_else(|| {
        anyhow::anyhow!("usage: component_timing DIR (written by python/bench/overhead.py)")
    })?;
    println!("| case | advance_state (µs) | evolve (µs) |");
    println!("| --- | --- | --- |");
    for (n, b) in CASES {
        let name = format!("784x{n}_b{b}");
        let path = std::path::Path::new(&dir).join(format!("{name}.npz"));
        let mut npz = NpzReader::new(std::fs::File::open(&path)?)?;
        let mut get = |k: &str| -> anyhow::Result<Array3<f32>> { Ok(npz.by_name(k)?) };
        let (pre, x_pre, post, x_post) = (get("pre")?, get("x_pre")?, get("post")?, get("x_post")?);
        let draws = pre.len_of(Axis(0));
        let at = |a: &Array3<f32>, k: usize| a.index_axis(Axis(0), k % draws).to_owned();
        let params = ExpStdpParams {
            eta: 1e-3,
            ..ExpStdpParams::default()
        }
        .check()?;
        let mut syn = ExpStdpSynapse::new("exc", (784, n), params, &UniformInit::seeded(0))?;
        let calls = if n == 400 { 2000 } else { 300 };
        let advance = |syn: &mut ExpStdpSynapse, k: usize| -> anyhow::Result<()> {
            syn.set(Compartment::In, at(&pre, k))?;
            syn.advance_state()?;
            Ok(())
        };
        median_us(calls / 10, |k| advance(&mut syn, k))?;
        let adv = median_us(calls, |k| advance(&mut syn, k))?;
        let evo = median_us(calls, |k| {
            syn.set(Compartment::Out, at(&post, k))?;
            syn.set(Compartment::XPre, at(&x_pre, k))?;
            syn.set(Compartment::XPost, at(&x_post, k))?;
            syn.evolve()?;
            Ok(())
        })?;
        println!("| {name} | {adv:.1} | {evo:.1} |");
    }
    Ok(())
}
