//! `stdp grid`, `stdp slurm`, `stdp merge`, `stdp report`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use stdp_harness::experiment::Progress as RunProgress;
use stdp_harness::experiment::dc_run::default_mnist_dir;
use stdp_harness::grid::load_planned_grid;
use stdp_harness::grid::manifest::{Manifest, write_manifest};
use stdp_harness::grid::merge::{merge as merge_grid, missing_points};
use stdp_harness::grid::point::PlannedGrid;
use stdp_harness::grid::report::{ReportOptions, report as report_grid};
use stdp_harness::grid::runner::{
    GridRunOptions, PointEvent, PointOutcome, ShardPlan, default_out, preflight, run_shard,
};
use stdp_harness::grid::shard::{Shard, assign};
use stdp_harness::grid::slurm::{
    SlurmJob, SlurmOptions, array_spec, default_grace, fit_grace, sbatch_script,
};
use stdp_harness::grid::status::{PointState, grid_status};
use stdp_harness::par::Threads;
use stdp_harness::record::atomic::write_atomically;

use crate::progress::Progress;

/// `runs/<grid file stem>` unless given.
fn out_dir(grid: &Path, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| default_out(grid))
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p)
        .with_context(|| format!("{}: cannot make the path absolute", p.display()))
}

fn sets_text(p: &stdp_harness::grid::GridPoint) -> String {
    p.set_args().join(" ")
}

fn list_points(g: &PlannedGrid, shard: Shard) {
    let shard_of = assign(&g.points, shard.count);
    println!(
        "{}: {} points over {} ({}), {} shard(s)",
        g.file.display(),
        g.points.len(),
        g.base.display(),
        g.kind.command(),
        shard.count
    );
    for (p, s) in g.points.iter().zip(shard_of) {
        println!(
            "{:>5}  {}  shard {s}  {}",
            p.index,
            p.id,
            sets_text(&p.point)
        );
    }
}

/// The switches of `stdp grid`.
pub struct GridFlags {
    /// List the points and exit.
    pub list: bool,
    /// Run failed points again.
    pub retry_failed: bool,
    /// No progress bar.
    pub quiet: bool,
}

pub fn run_grid(
    grid: &Path,
    out: Option<PathBuf>,
    shard: Option<String>,
    threads: Option<usize>,
    mnist: Option<PathBuf>,
    flags: GridFlags,
) -> anyhow::Result<()> {
    let GridFlags {
        list,
        retry_failed,
        quiet,
    } = flags;
    let g = load_planned_grid(grid)?;
    let shard = match shard {
        Some(s) => Shard::parse(&s).map_err(|m| anyhow::anyhow!("--shard {m}"))?,
        None => Shard::from_slurm_env()?.unwrap_or(Shard::ALL),
    };
    if list {
        list_points(&g, shard);
        return Ok(());
    }
    let threads = Threads::from_flag(threads)?.get();
    let out = out_dir(grid, out);
    let mnist_dir = mnist.unwrap_or_else(default_mnist_dir);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let opts = GridRunOptions {
        out: out.clone(),
        shard,
        threads,
        mnist_dir,
        command,
        retry_failed,
    };
    // Fail before any point runs when what they read is not there.
    preflight(&g, &opts)?;
    let plan = ShardPlan::of(&g, &opts);
    let in_shard = plan.points;
    // The bar counts the points' units of work (examples, steps), so that
    // a shard of a few long points has a rate and an ETA long before the
    // first point ends.
    let progress = Progress::new(plan.work, quiet, plan.unit);
    progress.resumed(plan.done);
    let bar = progress.bar();
    bar.set_message(format!("shard {shard}"));
    let finished = AtomicUsize::new(0);
    let say = |line: String| {
        if bar.is_hidden() {
            println!("{line}");
        } else {
            bar.println(line);
        }
    };
    say(format!(
        "{}: shard {shard}: {in_shard} of {} points, {} at a time, threads {}, into {}",
        grid.display(),
        g.points.len(),
        plan.workers.len(),
        plan.workers
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join("+"),
        out.display()
    ));
    let summary = run_shard(&g, &opts, &plan, &|ev| {
        let (p, outcome) = match ev {
            PointEvent::Started(_) => return,
            PointEvent::Progress(_, RunProgress::Resumed(k)) => return progress.resumed(k),
            PointEvent::Progress(_, RunProgress::Advanced { units, .. }) => {
                return progress.inc(units);
            }
            PointEvent::Ended(p, outcome) => (p, outcome),
        };
        let k = finished.fetch_add(1, Ordering::Relaxed) + 1;
        let what = match outcome {
            PointOutcome::Skipped => "already complete".to_string(),
            PointOutcome::Done {
                seconds,
                resumed,
                headline,
            } => format!(
                "done in {seconds:.1} s{}: {headline}",
                if *resumed {
                    " (resumed from a checkpoint)"
                } else {
                    ""
                }
            ),
            PointOutcome::Failed(m) => format!("FAILED: {m}"),
            PointOutcome::Interrupted => "stopped on request, state saved".to_string(),
        };
        say(format!(
            "[{k}/{in_shard}] point {} ({}) {}: {what}",
            p.index,
            p.id,
            sets_text(&p.point)
        ));
    })?;
    bar.finish_and_clear();
    println!(
        "shard {shard}: {} run, {} already complete, {} failed, {} stopped on request, in {:.1} s; results in {}",
        summary.done,
        summary.skipped,
        summary.failed.len(),
        summary.interrupted,
        summary.seconds,
        out.display()
    );
    if !summary.failed.is_empty() {
        let lines: Vec<String> = summary
            .failed
            .iter()
            .map(|(i, id, m)| format!("  point {i} ({id}): {m}"))
            .collect();
        bail!(
            "{} point(s) failed (the others are complete):\n{}",
            summary.failed.len(),
            lines.join("\n")
        );
    }
    if summary.interrupted > 0 {
        return Err(anyhow::Error::new(stdp_harness::Error::Interrupted {
            checkpoint: out.join("points"),
        }))
        .context(format!(
            "{} point(s) stopped or not started",
            summary.interrupted
        ));
    }
    Ok(())
}

pub fn slurm(
    grid: &Path,
    out: Option<PathBuf>,
    mut o: SlurmOptions,
    mnist: Option<PathBuf>,
    missing: bool,
    submit: bool,
) -> anyhow::Result<()> {
    let g = load_planned_grid(grid)?;
    if o.tasks == 0 {
        o.tasks = g.points.len().min(100);
    }
    if o.tasks > g.points.len() {
        bail!(
            "--tasks {}: the grid has only {} points",
            o.tasks,
            g.points.len()
        );
    }
    let out = absolute(&out_dir(grid, out))?;
    let job = SlurmJob {
        name: format!(
            "stdp-{}",
            grid.file_stem()
                .map_or_else(|| "grid".into(), |s| s.to_string_lossy().into_owned())
        ),
        exe: std::env::current_exe().context("cannot find the stdp executable")?,
        grid: absolute(grid)?,
        out: out.clone(),
        workdir: std::env::current_dir().context("no current directory")?,
        mnist: mnist.map(|m| absolute(&m)).transpose()?,
    };
    let explicit = o.grace != 0;
    if !explicit {
        o.grace = default_grace(largest_checkpoint_bytes(&g)?);
    }
    let (grace, warning) =
        fit_grace(o.grace, explicit, o.time.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    o.grace = grace;
    // The manifest now, so that `stdp merge` can list what is missing even
    // before the first task starts.
    let manifest = Manifest::of(&g)?;
    write_manifest(&out, &manifest)?;
    let logs = out.join("slurm");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let script = logs.join("grid.sbatch");
    let text = sbatch_script(&job, &o);
    write_atomically(&script, |tmp| {
        std::fs::write(tmp, &text).map_err(|e| stdp_harness::Error::io(tmp, e))
    })?;
    let tasks: Vec<usize> = if missing {
        // Manifest points are the grid's points, in the same order.
        let shard_of = assign(&g.points, o.tasks);
        let mut t: Vec<usize> = missing_points(&out, &manifest)
            .iter()
            .map(|(p, _)| shard_of[p.index])
            .collect();
        t.sort_unstable();
        t.dedup();
        if t.is_empty() {
            println!(
                "every point of {} is complete in {}: nothing to submit",
                grid.display(),
                out.display()
            );
            return Ok(());
        }
        t
    } else {
        (0..o.tasks).collect()
    };
    let mut args = vec!["--parsable".to_string()];
    if missing {
        args.push(format!("--array={}", array_spec(&tasks, o.max_running)));
    }
    args.push(script.to_string_lossy().into_owned());
    println!(
        "wrote {} ({} points in {} tasks{})",
        script.display(),
        g.points.len(),
        o.tasks,
        if missing {
            format!("; resubmitting tasks {}", array_spec(&tasks, None))
        } else {
            String::new()
        }
    );
    if !submit {
        println!("submit with:\n  sbatch {}", args[1..].join(" "));
        println!("then, when it is done:\n  stdp merge {}", out.display());
        return Ok(());
    }
    let output = Command::new("sbatch")
        .args(&args)
        .output()
        .context("cannot run sbatch (is SLURM installed and on PATH?)")?;
    if !output.status.success() {
        bail!(
            "sbatch {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let id = String::from_utf8_lossy(&output.stdout).trim().to_string();
    println!("submitted job {id}; logs in {}", logs.display());
    Ok(())
}

pub fn merge(dir: &Path) -> anyhow::Result<()> {
    // An incomplete grid is an error that lists every missing point.
    let s = merge_grid(dir)?;
    let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
    println!(
        "merged {} points of {}: {}",
        s.points,
        s.grid_file.display(),
        files.join(", ")
    );
    Ok(())
}

pub fn report(dir: &Path, o: &ReportOptions) -> anyhow::Result<()> {
    let r = report_grid(dir, o)?;
    let by = if r.by.is_empty() {
        "all points".to_string()
    } else {
        r.by.join(", ")
    };
    println!(
        "{}: {} by {by} ({} first)\n{}",
        dir.display(),
        r.metric,
        if o.ascending { "smallest" } else { "largest" },
        r.table
    );
    let files: Vec<String> = r.files.iter().map(|f| f.display().to_string()).collect();
    println!("wrote {}", files.join(", "));
    Ok(())
}

/// The size of the largest checkpoint a point of `g` writes, bytes
/// (estimated from its shapes: the weights and the per-neuron and
/// per-synapse state that go with them).
fn largest_checkpoint_bytes(g: &PlannedGrid) -> anyhow::Result<u64> {
    let mut largest = 0u64;
    for p in &g.points {
        let bytes = p.experiment.checkpoint_bytes();
        largest = largest.max(bytes);
    }
    Ok(largest)
}

pub fn status(dir: &Path, json: bool) -> anyhow::Result<()> {
    let s = grid_status(dir)?;
    let jobs = slurm_jobs(dir);
    if json {
        let mut v = serde_json::to_value(&s)?;
        v["slurm"] = serde_json::json!(jobs);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{}: {} points: {} complete, {} checkpointed, {} not started, {} failed",
        s.grid_file,
        s.points.len(),
        s.complete,
        s.checkpointed,
        s.not_started,
        s.failed
    );
    for p in &s.points {
        match &p.state {
            PointState::Checkpointed { progress, fraction } => {
                println!(
                    "  checkpointed {:>5.1} % {progress}: {}",
                    100.0 * fraction,
                    p.description
                );
            }
            PointState::Failed { error } => {
                println!("  FAILED {}:", p.description);
                for line in error.lines() {
                    println!("      {line}");
                }
            }
            _ => {}
        }
    }
    match (s.mean_point_seconds, s.work_left_seconds) {
        (Some(mean), Some(left)) => println!(
            "work left: {} on one worker ({} per finished point)",
            human_seconds(left),
            human_seconds(mean)
        ),
        _ => println!("work left: unknown until a point finishes"),
    }
    if !jobs.is_empty() {
        println!("SLURM tasks (squeue):");
        for j in &jobs {
            println!("  {j}");
        }
    }
    Ok(())
}

/// `1.2 h`, `14 min` or `35 s`.
fn human_seconds(s: f64) -> String {
    if s >= 5400.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 90.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// The grid's SLURM tasks still known to `squeue` (`JOBID STATE TIME
/// TIME_LEFT`), found by the job name `stdp slurm` gives; empty without SLURM.
fn slurm_jobs(dir: &Path) -> Vec<String> {
    let Ok(m) = stdp_harness::grid::manifest::read_manifest(dir) else {
        return Vec::new();
    };
    let name = format!(
        "stdp-{}",
        m.grid_file
            .file_stem()
            .map_or_else(|| "grid".into(), |s| s.to_string_lossy().into_owned())
    );
    let Ok(out) = Command::new("squeue")
        .args(["--noheader", "--name", &name, "--format", "%i %T %M %L"])
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}
