//! Measures where the event-driven update stops paying off against the fused
//! one: a sweep over postsynaptic spike densities at 784x1600, for row- and
//! column-major `W`, `B = 1` and `B = 64`. The thresholds in
//! `synapse::exp_stdp::path` come from this table.
//!
//! Run: `cargo run --release --example crossover`

use std::time::Instant;

use ndarray::{Array2, ShapeBuilder};
use stdp_harness::Par;
use stdp_harness::synapse::exp_stdp::{
    EvolveWorkspace, ExpStdpParams, UniformInit, WeightRange, evolve_events, evolve_fused,
};
#[path = "../dev/workload.rs"]
mod workload;
use workload::spike_inputs;

/// Mean microseconds per call of `f` over `n` calls.
fn time<F: FnMut(usize)>(n: usize, mut f: F) -> f64 {
    let t = Instant::now();
    for k in 0..n {
        f(k)
    }
    t.elapsed().as_secs_f64() / n as f64 * 1e6
}

fn main() {
    stdp_harness::blas::set_num_threads(1);
    let params = ExpStdpParams::default()
        .check()
        .expect("default params are valid");
    let (n_in, n_out) = (784, 1600);
    let w0 = UniformInit::seeded(1)
        .sample(n_in, n_out)
        .expect("valid init");
    let mut w_col = Array2::zeros((n_in, n_out).f());
    w_col.assign(&w0);
    let mut w_row = w0;
    let mut ws = EvolveWorkspace::new();
    println!(
        "| B | post rate | W touched | events, row-major (us) | events, column-major (us) | fused (us) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for b in [1usize, 64] {
        for rate in [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4] {
            let sets: Vec<_> = (0..8)
                .map(|s| spike_inputs(s, b, n_in, n_out, 0.01, rate))
                .collect();
            let touched = sets
                .iter()
                .map(|s| {
                    let fired = (0..n_out).filter(|&j| s.post.column(j).iter().any(|&v| v != 0.0));
                    fired.count() as f64 / n_out as f64
                })
                .sum::<f64>()
                / sets.len() as f64;
            let n = if b == 1 { 200 } else { 40 };
            let mut run_events = |w: &mut Array2<f32>| {
                time(n, |k| {
                    let inputs = sets[k % sets.len()].view();
                    evolve_events(
                        &params,
                        &inputs,
                        &mut w.view_mut(),
                        WeightRange::Clipped,
                        &mut ws,
                    )
                    .expect("shapes match");
                })
            };
            let ev_row = run_events(&mut w_row);
            let ev_col = run_events(&mut w_col);
            let fused = time(n, |k| {
                let inputs = sets[k % sets.len()].view();
                evolve_fused(&params, &inputs, &mut w_row.view_mut(), &mut ws, Par::Seq)
                    .expect("shapes match");
            });
            println!("| {b} | {rate} | {touched:.3} | {ev_row:.1} | {ev_col:.1} | {fused:.1} |");
        }
    }
}
