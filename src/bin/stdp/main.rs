//! `stdp`: the command-line front end of stdp-harness (thin over the library).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use polars::prelude::*;
use stdp_harness::experiment::batch_result::read_result;
use stdp_harness::experiment::dc_checkpoint::read_phase;
use stdp_harness::experiment::dc_run::default_mnist_dir;
use stdp_harness::experiment::run_dir::{CHECKPOINT_FILE, RESULT_FILE, result_kind};
use stdp_harness::experiment::{ExperimentKind, Progress as RunProgress, RunContext};
use stdp_harness::grid::report::ReportOptions;
use stdp_harness::grid::slurm::SlurmOptions;
use stdp_harness::harness::checkpoint::checkpoint_step;
use stdp_harness::par::Threads;
use stdp_harness::record::frame::to_frame;
use stdp_harness::record::h5::{get_1d, get_2d, get_scalar, get_str, open_file};

use crate::progress::Progress;

mod grid_cmd;
mod progress;

#[derive(Parser)]
#[command(
    name = "stdp",
    version,
    about = "Spike-timing-dependent plasticity research harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment config (resumes from a checkpoint in --out when there is one).
    Run {
        /// The experiment file (TOML), e.g. experiments/smoke.toml.
        config: PathBuf,
        /// Run directory [default: runs/NAME, NAME from the config].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Override a config key, e.g. --set steps=5000 --set rule.eta=2e-3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Replace a finished run (or a checkpoint of another config) in --out.
        #[arg(long)]
        force: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run a Diehl & Cook (2015) MNIST experiment: train, label, test, record.
    Dc {
        /// The experiment file, e.g. experiments/diehl_cook_100.toml.
        config: PathBuf,
        /// Run directory [default: runs/NAME, NAME from the config].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a config key, e.g. --set train_examples=1000.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// MNIST directory (IDX files, gzip or not) [default: the bundled data/mnist].
        #[arg(long)]
        mnist: Option<PathBuf>,
        /// Replace a finished run in --out.
        #[arg(long)]
        force: bool,
        /// Threads: the frozen phases (labelling, testing) run blocks of
        /// examples on all of them; training steps are shared by them from
        /// 4096 neurons up (results are the same for every count)
        /// [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Show what a run holds: config, instances, final statistics.
    Inspect {
        /// A run directory or its result.h5.
        path: PathBuf,
    },
    /// Run the points of a grid (or of one shard of it), skipping complete ones.
    Grid {
        /// The grid file, e.g. experiments/grid_smoke.toml.
        grid: PathBuf,
        /// Grid output directory [default: runs/GRID, GRID the grid file name].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run shard I of N (0-based) [default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, else all].
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Points run at once [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// MNIST directory for Diehl & Cook grids [default: the bundled data/mnist].
        #[arg(long)]
        mnist: Option<PathBuf>,
        /// List the points (id, shard, overrides) and exit without running.
        #[arg(long)]
        list: bool,
        /// Run again the points that failed in an earlier run (they are
        /// otherwise reported as failed without running).
        #[arg(long)]
        retry_failed: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Where a grid stands: points complete, checkpointed (with progress),
    /// not started and failed; its SLURM tasks; the work left.
    Status {
        /// The grid output directory.
        dir: PathBuf,
        /// Print JSON (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Write an sbatch script for a SLURM job array over the shards of a grid.
    Slurm {
        /// The grid file.
        grid: PathBuf,
        /// Grid output directory [default: runs/GRID, GRID the grid file name].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        resources: SlurmArgs,
        /// MNIST directory passed to every task.
        #[arg(long)]
        mnist: Option<PathBuf>,
        /// Only the tasks whose shard still has incomplete points.
        #[arg(long)]
        missing: bool,
        /// Submit with sbatch (prints the job id) instead of printing the command.
        #[arg(long)]
        submit: bool,
    },
    /// Check that every point of a grid is complete and merge them into grid.h5 and grid.parquet.
    Merge {
        /// The grid output directory.
        dir: PathBuf,
    },
    /// Group a merged grid by some keys: mean/std of a metric over seeds, best first, and a figure.
    Report {
        /// The grid output directory (merged).
        dir: PathBuf,
        /// Grouping key (repeatable) [default: every axis except seed].
        #[arg(long)]
        by: Vec<String>,
        /// The metric [default: accuracy_percent for Diehl & Cook grids, w_std otherwise].
        #[arg(long)]
        metric: Option<String>,
        /// Smaller is better.
        #[arg(long)]
        ascending: bool,
        /// The figure's horizontal axis [default: the first numeric grouping key].
        #[arg(long)]
        x: Option<String>,
    },
}

/// The job array's size and resources (`#SBATCH` options).
#[derive(clap::Args)]
struct SlurmArgs {
    /// Array tasks (shards) [default: one per point, at most 100].
    #[arg(long)]
    tasks: Option<usize>,
    /// Tasks allowed to run at once (--array=...%K).
    #[arg(long)]
    max_running: Option<usize>,
    /// sbatch --partition.
    #[arg(long)]
    partition: Option<String>,
    /// sbatch --time, e.g. 02:00:00.
    #[arg(long)]
    time: Option<String>,
    /// sbatch --mem, e.g. 4G.
    #[arg(long)]
    mem: Option<String>,
    /// sbatch --cpus-per-task: points each task runs at once.
    #[arg(long, default_value_t = 1)]
    cpus: usize,
    /// sbatch --account.
    #[arg(long)]
    account: Option<String>,
    /// sbatch --qos.
    #[arg(long)]
    qos: Option<String>,
    /// Further #SBATCH options, e.g. --sbatch=--constraint=avx2.
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    extra: Vec<String>,
    /// Seconds between SLURM's warning signal (USR1) and the time limit, for
    /// saving the points in flight [default: 60 + 1 per 20 MB of the
    /// grid's largest checkpoint, at most half of --time]. A grace over half
    /// of --time is refused: each task would be warned before doing half
    /// its work.
    #[arg(long, value_name = "SECONDS")]
    grace: Option<u32>,
    /// Times a task that saved its state at a time limit or preemption
    /// requeues itself.
    #[arg(long, default_value_t = 3)]
    max_requeues: u32,
}

impl From<SlurmArgs> for SlurmOptions {
    fn from(a: SlurmArgs) -> SlurmOptions {
        SlurmOptions {
            tasks: a.tasks.unwrap_or(0),
            max_running: a.max_running,
            partition: a.partition,
            time: a.time,
            mem: a.mem,
            cpus: a.cpus,
            account: a.account,
            qos: a.qos,
            extra: a.extra,
            // 0: estimated from the grid (`stdp slurm`).
            grace: a.grace.unwrap_or(0),
            max_requeues: a.max_requeues,
        }
    }
}

fn main() -> std::process::ExitCode {
    // Output piped into a reader that stops early (`stdp report DIR | head`)
    // ends the program quietly, as with other Unix tools, instead of a panic
    // on the next write.
    // SAFETY: first thing in main, before any thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Errors are printed as one line with their causes ("error: a: b: c"),
    // never as a debug dump or backtrace.
    let cli = Cli::parse();
    // SIGTERM, SIGUSR1 and Ctrl-C ask a run to save its state and stop.
    if let Err(e) = stdp_harness::interrupt::install() {
        eprintln!("error: cannot install the signal handlers: {e}");
        return std::process::ExitCode::FAILURE;
    }
    if let Ok(v) = std::env::var("STDP_SIMD")
        && stdp_harness::math::simd::SimdLevel::parse(&v).is_none()
    {
        eprintln!("error: environment variable STDP_SIMD={v:?}: expected baseline, avx2 or avx512");
        return std::process::ExitCode::FAILURE;
    }
    match dispatch(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let stopped = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<stdp_harness::Error>(),
                    Some(stdp_harness::Error::Interrupted { .. })
                )
            });
            if stopped {
                // A distinct status: the state is saved, run again to resume.
                std::process::ExitCode::from(stdp_harness::interrupt::EXIT_INTERRUPTED as u8)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run {
            config,
            out,
            threads,
            sets,
            force,
            quiet,
        } => experiment_cmd(
            ExperimentKind::Run,
            &config,
            out,
            &sets,
            None,
            force,
            threads,
            quiet,
        ),
        Command::Inspect { path } => inspect(&path),
        Command::Dc {
            config,
            out,
            sets,
            mnist,
            force,
            threads,
            quiet,
        } => experiment_cmd(
            ExperimentKind::Dc,
            &config,
            out,
            &sets,
            mnist,
            force,
            threads,
            quiet,
        ),
        Command::Grid {
            grid,
            out,
            shard,
            threads,
            mnist,
            list,
            retry_failed,
            quiet,
        } => grid_cmd::run_grid(
            &grid,
            out,
            shard,
            threads,
            mnist,
            grid_cmd::GridFlags {
                list,
                retry_failed,
                quiet,
            },
        ),
        Command::Status { dir, json } => grid_cmd::status(&dir, json),
        Command::Slurm {
            grid,
            out,
            resources,
            mnist,
            missing,
            submit,
        } => grid_cmd::slurm(&grid, out, resources.into(), mnist, missing, submit),
        Command::Merge { dir } => grid_cmd::merge(&dir),
        Command::Report {
            dir,
            by,
            metric,
            ascending,
            x,
        } => {
            widen_table_display();
            grid_cmd::report(
                &dir,
                &ReportOptions {
                    by,
                    metric,
                    ascending,
                    x,
                },
            )
        }
    }
}

/// `stdp run` and `stdp dc`: the experiment `config` (of `kind`) with
/// `sets`, run or resumed through [`Experiment::run`], the one driver grids
/// use too, with a progress bar; prints its report.
#[allow(clippy::too_many_arguments)]
fn experiment_cmd(
    kind: ExperimentKind,
    config: &Path,
    out: Option<PathBuf>,
    sets: &[String],
    mnist: Option<PathBuf>,
    force: bool,
    threads: Option<usize>,
    quiet: bool,
) -> anyhow::Result<()> {
    let threads = Threads::from_flag(threads)?;
    let exp = kind.load(config, sets)?;
    let out = out.unwrap_or_else(|| Path::new("runs").join(exp.name()));
    let (total, unit) = exp.work();
    let bar = Progress::new(total, quiet, unit);
    let ctx = RunContext {
        out,
        force,
        threads: threads.get(),
        mnist_dir: mnist.unwrap_or_else(default_mnist_dir),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let done = exp
        .run(&ctx, &|p| match p {
            RunProgress::Resumed(k) => bar.resumed(k),
            RunProgress::Advanced { phase, units } => {
                if !phase.is_empty() {
                    bar.bar().set_message(phase);
                }
                bar.inc(units)
            }
        })
        .with_context(|| format!("running {}", config.display()))?;
    bar.bar().finish_and_clear();
    println!("{}", done.report);
    Ok(())
}

/// Where a Diehl & Cook checkpoint stands: "after N training examples" (in
/// the frozen phase with how many labelling / test presentations are done)
/// and a line with the last windows of the training curve, if any; `None`
/// when `ckpt` is not one.
fn dc_checkpoint_done(ckpt: &Path) -> Option<(String, Option<String>)> {
    let phase = read_phase(ckpt).ok()?;
    let mut text = format!("after {} training examples", phase.done);
    if let Some((labelled, tested)) = phase.frozen {
        text += &format!(
            " (training finished; {labelled} labelling and {tested} test presentations done)"
        );
    }
    let curve = (!phase.curve.is_empty()).then(|| {
        let last = &phase.curve[phase.curve.len().saturating_sub(CURVE_SHOWN)..];
        let windows: Vec<String> = last
            .iter()
            .map(|(x, y)| format!("{y:.2} % at {x}"))
            .collect();
        format!(
            "training accuracy of the last {} monitoring windows (of {}): {}",
            last.len(),
            phase.curve.len(),
            windows.join(", ")
        )
    });
    Some((text, curve))
}

/// Windows of the training curve `stdp inspect` shows for an unfinished run.
const CURVE_SHOWN: usize = 5;

/// What `stdp inspect` shows of a Diehl & Cook run: its config, accuracy,
/// neurons and thresholds, and the summary's health counters.
fn inspect_dc(dir: &Path, file: &Path) -> anyhow::Result<()> {
    let f = open_file(file).with_context(|| format!("opening {}", file.display()))?;
    let name = get_str(&f, "name", file)?;
    let version = get_str(&f, "crate_version", file)?;
    let seed: u64 = get_scalar(&f, "seed", file)?;
    let acc: f64 = get_scalar(&f, "accuracy_percent", file)?;
    let std = get_scalar::<f64>(&f, "accuracy_std_percent", file).unwrap_or(0.0);
    let on = get_str(&f, "evaluated_on", file)?;
    let theta: ndarray::Array1<f32> = get_1d(&f, "theta", file)?;
    let assign: ndarray::Array1<i8> = get_1d(&f, "assignments", file)?;
    let w: ndarray::Array2<f32> = get_2d(&f, "weights", file)?;
    println!(
        "{}: Diehl & Cook run `{name}` (stdp-harness {version}), seed {seed}",
        file.display()
    );
    println!(
        "{on} accuracy {acc:.2} ± {std:.2} %; {} excitatory neurons ({} unassigned), weights {}x{}",
        theta.len(),
        assign.iter().filter(|&&a| a < 0).count(),
        w.nrows(),
        w.ncols()
    );
    let per_class: Vec<String> = (0..10)
        .map(|c| format!("{c}:{}", assign.iter().filter(|&&a| a == c).count()))
        .collect();
    println!("neurons per class: {}", per_class.join(" "));
    let (lo, hi) = theta
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    println!(
        "theta: mean {:.2} mV, min {lo:.2}, max {hi:.2}",
        theta.mean().unwrap_or(f32::NAN)
    );
    let summary = dir.join("summary.json");
    if let Ok(text) = std::fs::read_to_string(&summary) {
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", summary.display()))?;
        for key in [
            "train_examples",
            "ridge_accuracy_percent",
            "ridge_lambda",
            "count_window",
            "showings_per_example",
            "spikes_per_example",
            "max_exc_spikes_in_step",
            "overshoot_steps",
            "integrator",
            "spike_timer",
            "input_delay_ms",
            "ms_per_train_example",
            "wall_time_s",
            "command",
        ] {
            if let Some(x) = v.get(key) {
                println!("{key}: {x}");
            }
        }
    }
    println!("\nconfig:\n{}", get_str(&f, "config", file)?.trim_end());
    Ok(())
}

fn inspect(path: &Path) -> anyhow::Result<()> {
    widen_table_display();
    let (dir, file) = if path.is_dir() {
        (path.to_path_buf(), path.join(RESULT_FILE))
    } else {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    };
    if !file.exists() && path.is_dir() {
        let ckpt = dir.join(CHECKPOINT_FILE);
        if ckpt.exists() {
            if let Some((done, curve)) = dc_checkpoint_done(&ckpt) {
                println!(
                    "{}: unfinished Diehl & Cook run, checkpoint {done}; run the same command again to resume",
                    dir.display()
                );
                if let Some(curve) = curve {
                    println!("{curve}");
                }
                return Ok(());
            }
            let step = checkpoint_step(&ckpt)?;
            println!(
                "{}: unfinished run, checkpoint at step {step}; run the same command again to resume",
                dir.display()
            );
            return Ok(());
        }
        bail!(
            "{}: no {RESULT_FILE} and no {CHECKPOINT_FILE}: not a run directory",
            dir.display()
        );
    }
    // The kind the file says it is (an unreadable file falls through to
    // the batch reader, whose error names what is wrong with it).
    let kind = open_file(&file)
        .ok()
        .and_then(|f| result_kind(&f, &file).ok());
    if kind == Some(ExperimentKind::Dc) {
        return inspect_dc(&dir, &file);
    }
    let r = read_result(&file)?;
    println!(
        "{}: run `{}` (stdp-harness {}), seed {}, {} steps, {} instances",
        file.display(),
        r.name,
        r.crate_version,
        r.seed,
        r.steps,
        r.weights.len()
    );
    println!("\nconfig:\n{}", r.config.trim_end());
    let n = r.params.len();
    let mut cols = vec![Column::new(
        "instance".into(),
        (0..n as u32).collect::<Vec<_>>(),
    )];
    if let Some(first) = r.params.first() {
        for (k, (name, _)) in first.iter().enumerate() {
            let v: Vec<f64> = r.params.iter().map(|p| p[k].1).collect();
            cols.push(Column::new(name.as_str().into(), v));
        }
    }
    let params = DataFrame::new(n, cols)?;
    let stats = to_frame(&r.stats)?;
    let last = stats
        .lazy()
        .filter(col("step").eq(lit(r.steps)))
        .select([
            col("instance"),
            col("w_mean"),
            col("w_std"),
            col("frac_at_lower"),
            col("frac_at_upper"),
            col("mean_abs_dw"),
            col("pre_rate"),
            col("post_rate"),
        ])
        .collect()?;
    println!("\nparameters:\n{params}");
    println!("\nfinal statistics (step {}):\n{last}", r.steps);
    Ok(())
}

/// polars reads its table limits from the environment; widen them for `inspect`.
fn widen_table_display() {
    for (k, v) in [
        ("POLARS_FMT_MAX_COLS", "20"),
        ("POLARS_FMT_MAX_ROWS", "50"),
        ("POLARS_TABLE_WIDTH", "160"),
    ] {
        if std::env::var_os(k).is_none() {
            // SAFETY: first thing `inspect` does, on the main thread, before
            // polars (or anything else) has started a thread.
            unsafe { std::env::set_var(k, v) };
        }
    }
}
