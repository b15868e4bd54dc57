//! `stdp`: the command-line front end of stdp-harness (thin over the library).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use stdp_harness::experiment::dc_eval::{EvalOptions, eval_run};
use stdp_harness::experiment::dc_result::DcResult;
use stdp_harness::experiment::dc_run::default_mnist_dir;
use stdp_harness::experiment::describe::describe;
use stdp_harness::experiment::{ExperimentKind, Progress as RunProgress, RunContext};
use stdp_harness::grid::report::ReportOptions;
use stdp_harness::grid::slurm::SlurmOptions;
use stdp_harness::par::Threads;

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
    /// Evaluate a finished Diehl & Cook run's trained network on MNIST images:
    /// its weights, thresholds and assignments (and ridge readout) as the run
    /// left them; labels nothing, trains nothing.
    Eval {
        /// The finished run directory (of `stdp dc`).
        run_dir: PathBuf,
        /// Output directory [default: RUN_DIR/eval].
        #[arg(long)]
        out: Option<PathBuf>,
        /// MNIST directory whose test set is evaluated [default: the bundled data/mnist].
        #[arg(long)]
        mnist: Option<PathBuf>,
        /// Override what is evaluated: test_examples, test_repeats,
        /// evaluate_on or frozen_block, e.g. --set test_repeats=3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Threads [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Replace an earlier evaluation in --out.
        #[arg(long)]
        force: bool,
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
        /// Threads [default: all cores]: one point per thread at once, or fewer points still to run sharing them.
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
    /// Print a complete, commented experiment file of a kind, every key at its default
    /// (redirect it to a file and edit: `stdp config dc > my.toml`).
    Config {
        /// The kind: `dc` (a Diehl & Cook run, `stdp dc`) or `run` (a synapse batch, `stdp run`).
        #[arg(value_parser = ["dc", "run"])]
        kind: String,
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
        Command::Eval {
            run_dir,
            out,
            mnist,
            sets,
            threads,
            force,
            quiet,
        } => eval_cmd(
            &run_dir,
            EvalOptions {
                out: out.unwrap_or_else(|| run_dir.join("eval")),
                run_dir: run_dir.clone(),
                mnist_dir: mnist.unwrap_or_else(default_mnist_dir),
                sets,
                threads: Threads::from_flag(threads)?.get(),
                force,
                command: std::env::args().collect::<Vec<_>>().join(" "),
            },
            quiet,
        ),
        Command::Inspect { path } => {
            widen_table_display();
            print!("{}", describe(&path)?);
            Ok(())
        }
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
        Command::Config { kind } => {
            let kind = ExperimentKind::from_command(&kind).expect("clap checked the kind");
            print!("{}", stdp_harness::config::template::template(kind)?);
            Ok(())
        }
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
/// `sets`, run or resumed through `Experiment::run`, the one driver grids
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

/// `stdp eval`: the evaluation with a progress bar; prints its summary.
fn eval_cmd(run_dir: &Path, o: EvalOptions, quiet: bool) -> anyhow::Result<()> {
    let plan = DcResult::read(run_dir)?.plan(&o.sets)?;
    let bar = Progress::new(
        (plan.test_examples * plan.test_repeats) as u64,
        quiet,
        "examples",
    );
    let stop = stdp_harness::interrupt::requested;
    let done = eval_run(&o, &stop, &|k| bar.inc(k))
        .with_context(|| format!("evaluating {}", run_dir.display()))?;
    bar.bar().finish_and_clear();
    let Some(s) = done else {
        anyhow::bail!("stopped on request before the evaluation finished; nothing was written");
    };
    let ridge = match (s.ridge_accuracy_percent, s.ridge_accuracy_std_percent) {
        (Some(a), Some(sd)) => format!(", ridge readout {a:.2} ± {sd:.2} %"),
        _ => String::new(),
    };
    println!(
        "{}: {} accuracy {:.2} ± {:.2} %{ridge} on {} examples x {} repeats of {} ({} neurons unassigned); {:.0} s; results in {}",
        run_dir.display(),
        s.evaluated_on,
        s.accuracy_percent,
        s.accuracy_std_percent,
        s.test_examples,
        s.test_repeats,
        s.mnist_dir,
        s.unassigned_neurons,
        s.wall_time_s,
        o.out.display()
    );
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
