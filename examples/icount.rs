//! Instruction counts of the hot paths under Valgrind's callgrind, and the
//! regression check against `benches/budgets.toml` (`make icount-check`,
//! part of `make test`). Instruction counts are deterministic, unlike
//! wall-clock time on a shared machine, so the check can use a tight margin.
//!
//!     cargo run --release --example icount                   # measure, check
//!     cargo run --release --example icount -- --self-test    # ... and prove it can fail
//!     cargo run --release --example icount -- --scale 0.9    # check budgets 10 % lower
//!     cargo run --release --example icount -- --write        # renew the budgets
//!     cargo run --release --example icount -- --case NAME    # run one case natively
//!
//! Options: `--budgets FILE` (default `benches/budgets.toml`), `--valgrind
//! PATH` (default `valgrind`). Each case runs once in its own callgrind
//! process (`OPENBLAS_NUM_THREADS=1`, `RAYON_NUM_THREADS=1`: one thread, so
//! no count depends on scheduling); its setup and one untimed warm-up call
//! happen before the measured region, the function `stdp_icount_region`,
//! the only code callgrind counts.
//!
//! The cases:
//! - `evolve_fused_784x400_b1`, `evolve_events_784x400_b1`: one weight
//!   update of the seed's rule (spikes at 1 % pre, 0.5 % post);
//! - `projection_events_784x400_b64`: `in · W` by summing fired rows;
//! - `dc_train_example_100`: one training example of the 100-neuron Diehl &
//!   Cook network (a synthetic image; the network warmed on 5 examples first);
//! - `harness_20_steps_784x400`: twenty steps (one statistics stride) of
//!   instance 0 of `experiments/smoke.toml` with 400 outputs.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use stdp_harness::Par;
use stdp_harness::config::load_plan;
use stdp_harness::harness::Instance;
use stdp_harness::network::diehl_cook::{DcParams, DiehlCook};
#[path = "../dev/icount.rs"]
mod icount;
use icount::{Budgets, Counts, Verdict, check, read_callgrind_total};
use stdp_harness::synapse::exp_stdp::{
    EvolveWorkspace, ExpStdpParams, UniformInit, WeightRange, compute_layer_events_into,
    evolve_events, evolve_fused,
};
#[path = "../dev/workload.rs"]
mod workload;
use workload::spike_inputs;

/// The measured region: callgrind counts the instructions executed inside
/// this function (and what it calls) only. Unmangled, so that
/// `--toggle-collect` can name it.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn stdp_icount_region(work: &mut dyn FnMut()) {
    work();
}

const CASES: [&str; 5] = [
    "dc_train_example_100",
    "evolve_events_784x400_b1",
    "evolve_fused_784x400_b1",
    "harness_20_steps_784x400",
    "projection_events_784x400_b64",
];

/// An MNIST-like image: a blob of bright pixels on a dark background.
fn image(seed: u64) -> Vec<u8> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..784_i32)
        .map(|k| {
            let (r, c) = (k / 28 - 14, k % 28 - 14);
            if r * r + c * c < 60 && rng.random::<f32>() < 0.7 {
                rng.random_range(128..=255)
            } else {
                0
            }
        })
        .collect()
}

/// Sets up `name`, warms it once, then runs it once inside the region.
fn run_case(name: &str) -> anyhow::Result<()> {
    stdp_harness::blas::set_num_threads(1);
    let update = |b: usize| {
        (
            spike_inputs(3, b, 784, 400, 0.01, 0.005),
            UniformInit::seeded(1).sample(784, 400),
        )
    };
    let p = ExpStdpParams::default().check()?;
    let mut work: Box<dyn FnMut()> = match name {
        "evolve_fused_784x400_b1" => {
            let (inputs, w) = update(1);
            let mut w = w?;
            let mut ws = EvolveWorkspace::new();
            Box::new(move || {
                evolve_fused(&p, &inputs.view(), &mut w.view_mut(), &mut ws, Par::Seq)
                    .expect("evolve_fused");
                black_box(&w);
            })
        }
        "evolve_events_784x400_b1" => {
            let (inputs, w) = update(1);
            let mut w = w?;
            let mut ws = EvolveWorkspace::new();
            Box::new(move || {
                evolve_events(
                    &p,
                    &inputs.view(),
                    &mut w.view_mut(),
                    WeightRange::Clipped,
                    &mut ws,
                )
                .expect("evolve_events");
                black_box(&w);
            })
        }
        "projection_events_784x400_b64" => {
            let (inputs, w) = update(64);
            let w = w?;
            let mut out = Array2::<f32>::zeros((64, 400));
            Box::new(move || {
                compute_layer_events_into(inputs.pre.view(), w.view(), &mut out.view_mut())
                    .expect("projection");
                black_box(&out);
            })
        }
        "dc_train_example_100" => {
            let mut net = DiehlCook::new(DcParams::original(100), 0);
            for k in 0..5 {
                net.present(&image(k), true)?;
            }
            let img = image(99);
            Box::new(move || {
                black_box(net.present(&img, true).expect("present").showings);
            })
        }
        "harness_20_steps_784x400" => {
            let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
            let sets: Vec<String> = [
                "synapse.n_out=400",
                "steps=100000",
                "record.checkpoint_every=0",
                "record.snapshot_stride=0",
            ]
            .map(String::from)
            .to_vec();
            let plan = load_plan(&config, &sets)?;
            let mut inst = Instance::new(&plan, &plan.instances[0])?;
            Box::new(move || {
                let next = inst.step() + 20;
                inst.run_until(&plan, next, &|_| {}).expect("harness step");
                black_box(inst.step());
            })
        }
        other => bail!("unknown case `{other}` (cases: {})", CASES.join(", ")),
    };
    // One untimed call first: lazy initialisation (SIMD detection, BLAS,
    // workspaces sized on first use) is not what the budget is about.
    work();
    stdp_icount_region(&mut *work);
    println!("simd={}", stdp_harness::math::simd::simd_path());
    Ok(())
}

/// Runs every case under callgrind: its instruction count and the SIMD path
/// the kernels took there.
fn measure(valgrind: &str) -> anyhow::Result<(Counts, String)> {
    let exe = std::env::current_exe().context("the path of this program")?;
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let mut counts = Counts::new();
    let mut simd = None::<String>;
    for name in CASES {
        let out = dir.path().join(format!("{name}.callgrind"));
        let run = Command::new(valgrind)
            .args([
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=stdp_icount_region",
            ])
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&exe)
            .args(["--case", name])
            .env("OPENBLAS_NUM_THREADS", "1")
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .with_context(|| {
                format!("running `{valgrind}` (install valgrind: apt-get install valgrind)")
            })?;
        if !run.status.success() {
            bail!(
                "case {name} under callgrind failed ({}):\n{}",
                run.status,
                String::from_utf8_lossy(&run.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&run.stdout);
        let path = stdout
            .lines()
            .find_map(|l| l.strip_prefix("simd="))
            .with_context(|| format!("case {name}: no `simd=` line in its output"))?
            .to_string();
        if simd.as_ref().is_some_and(|s| *s != path) {
            bail!("case {name} ran on the {path} path, the others on {simd:?}");
        }
        simd = Some(path);
        let n = read_callgrind_total(&out)?;
        if n == 0 {
            bail!("case {name}: callgrind counted nothing in stdp_icount_region");
        }
        println!("{name}: {n} instructions");
        counts.insert(name.to_string(), n);
    }
    Ok((counts, simd.unwrap_or_default()))
}

fn toolchain() -> String {
    Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn value<'a>(args: &'a [String], key: &str) -> anyhow::Result<Option<&'a String>> {
    match args.iter().position(|a| a == key) {
        None => Ok(None),
        Some(k) => Ok(Some(
            args.get(k + 1)
                .with_context(|| format!("{key} needs a value"))?,
        )),
    }
}

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(name) = value(&args, "--case")? {
        run_case(name)?;
        return Ok(ExitCode::SUCCESS);
    }
    let budgets_path = value(&args, "--budgets")?
        .map_or_else(|| PathBuf::from("benches/budgets.toml"), PathBuf::from);
    let valgrind = value(&args, "--valgrind")?.map_or("valgrind", |v| v.as_str());
    let write = args.iter().any(|a| a == "--write");
    // Read the budgets first: a bad file fails before minutes of measuring.
    let budgets = if write {
        None
    } else {
        Some(Budgets::read(&budgets_path)?)
    };
    let (counts, simd) = measure(valgrind)?;
    let here = toolchain();
    let Some(mut budgets) = budgets else {
        Budgets::from_counts(&counts, &here, &simd, 3.0).write(&budgets_path)?;
        println!(
            "wrote {} budgets to {} ({here}, {simd}): commit it",
            counts.len(),
            budgets_path.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(f) = value(&args, "--scale")? {
        let f: f64 = f
            .parse()
            .with_context(|| format!("--scale {f}: not a number"))?;
        budgets.scale(f);
    }
    match check(&budgets, &counts, &here, &simd) {
        Verdict::Skipped(why) => {
            println!("SKIPPED instruction-count check: {why}");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Checked { lines, over } => {
            for l in &lines {
                println!("{l}");
            }
            if over > 0 {
                println!(
                    "{over} id(s) over budget by more than {} %. If the change is intended, \
                     re-baseline with `make icount-baseline` and commit {}",
                    budgets.margin_percent,
                    budgets_path.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            println!(
                "instruction counts within {} % of {}",
                budgets.margin_percent,
                budgets_path.display()
            );
            if args.iter().any(|a| a == "--self-test") {
                let mut lower = budgets.clone();
                lower.scale(0.9);
                match check(&lower, &counts, &here, &simd) {
                    Verdict::Checked { over, .. } if over == counts.len() => println!(
                        "self-test: against budgets 10 % lower the check fails on all {over} ids, as it must"
                    ),
                    other => {
                        bail!("self-test: budgets 10 % lower did not fail every id: {other:?}")
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
