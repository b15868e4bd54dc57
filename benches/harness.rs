//! `harness` group: 16 independent 784x400 instances (smoke statistics) stepped
//! 200 steps on 1 and on 2 worker threads; ids `threads1`, `threads2`.
//! Throughput scaling = time(threads1) / time(threads2).
//!
//! `long_run/{4000,16000}`: the whole `stdp run` of `experiments/smoke.toml`
//! (records, a checkpoint every 500 steps, result files) for 4,000 and
//! 16,000 steps on 2 threads; the ratio shows whether a checkpoint's cost
//! grows with the run (linear: about 4x).

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use stdp_harness::config::load_plan;
use stdp_harness::experiment::batch_run::{RunOptions, run};
use stdp_harness::harness::{Instance, step_instances, worker_pool};

const STEPS: usize = 200;

fn harness(c: &mut Criterion) {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
    let sets: Vec<String> = [
        "instances=16",
        "synapse.n_out=400",
        "steps=1000000",
        "record.checkpoint_every=0",
        "record.snapshot_stride=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let plan = load_plan(&config, &sets).expect("smoke config with overrides is valid");
    let mut g = c.benchmark_group("harness");
    g.sample_size(10);
    for threads in [1usize, 2] {
        let pool = worker_pool(threads).expect("thread pool");
        let mut instances: Vec<Instance> = plan
            .instances
            .iter()
            .map(|ip| Instance::new(&plan, ip).expect("instance"))
            .collect();
        g.bench_function(format!("threads{threads}"), |b| {
            b.iter(|| {
                let until = instances[0].step() + STEPS;
                step_instances(&plan, &mut instances, until, &pool, &|_| {}).expect("steps");
            })
        });
    }
    for steps in [4000usize, 16000] {
        let plan = load_plan(&config, &[format!("steps={steps}")]).expect("smoke config");
        let dir = tempfile::tempdir().expect("temporary directory");
        let opts = RunOptions {
            out: dir.path().join("run"),
            threads: 2,
            force: true,
        };
        g.bench_function(format!("long_run/{steps}"), |b| {
            b.iter(|| run(&plan, &opts, &|_| {}).expect("run"))
        });
    }
    g.finish();
}

criterion_group!(benches, harness);
criterion_main!(benches);
