//! Running one shard of a grid: each point into its own run directory
//! (`<out>/points/<id>`), points in parallel, the threads shared among them
//! ([`Threads::share`]: one worker per point still to run, up to the thread
//! count, so that a shard with fewer points than threads gives each point
//! several; the split is decided when the shard starts, and results do not
//! depend on it). A point whose `result.h5` is complete is skipped; one with a
//! checkpoint resumes from it; a failed point is reported and the others go
//! on. Every record is written atomically by the experiment's own runner, so
//! a killed shard, run again, finishes only what is missing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::manifest::{Manifest, point_dir, write_manifest};
use super::point::{PlannedGrid, PlannedPoint};
use super::shard::{Shard, points_of};
use crate::error::{Error, Result};
use crate::experiment::run_dir::{RESULT_FILE, is_complete};
use crate::experiment::{Progress, RunContext};
use crate::interrupt;
use crate::par::Threads;
use crate::record::atomic::write_atomically;

/// How to run a shard.
#[derive(Clone, Debug)]
pub struct GridRunOptions {
    /// The grid output directory.
    pub out: PathBuf,
    /// Which shard.
    pub shard: Shard,
    /// Threads for the shard: `min(threads, points still to run)` points
    /// run at once, the threads dealt out among them ([`Threads::share`]).
    pub threads: usize,
    /// MNIST directory (Diehl & Cook grids).
    pub mnist_dir: PathBuf,
    /// The command line, stored with Diehl & Cook results.
    pub command: String,
    /// Run points that failed in an earlier run again (otherwise they are
    /// reported as failed without running).
    pub retry_failed: bool,
}

/// Where a failed point keeps its error message (`points/<id>/FAILED`).
pub const FAILED_FILE: &str = "FAILED";

/// Where a finished point keeps its wall time (`points/<id>/timing.json`).
pub const TIMING_FILE: &str = "timing.json";

/// What happened to one point.
#[derive(Clone, Debug)]
pub enum PointOutcome {
    /// Already complete: nothing run.
    Skipped,
    /// Run to completion now.
    Done {
        /// Wall time, s.
        seconds: f64,
        /// Resumed from a checkpoint.
        resumed: bool,
        /// A one-line result (e.g. the test accuracy).
        headline: String,
    },
    /// Failed; the message says why. The other points still run.
    Failed(String),
    /// Stopped on request with its state saved ([`crate::interrupt`]).
    Interrupted,
}

/// A point event reported while a shard runs.
#[derive(Clone, Debug)]
pub enum PointEvent<'a> {
    /// The point is taken up by a worker (complete or not).
    Started(&'a PlannedPoint),
    /// The point's run reports progress in units of its
    /// [`crate::experiment::Experiment::work`].
    Progress(&'a PlannedPoint, Progress),
    /// The point ended so.
    Ended(&'a PlannedPoint, &'a PointOutcome),
}

/// The outcome of a shard.
#[derive(Clone, Debug, Default)]
pub struct ShardSummary {
    /// Points in this shard.
    pub points: usize,
    /// Points run now.
    pub done: usize,
    /// Points that were already complete.
    pub skipped: usize,
    /// `(index, id, message)` of every failed point.
    pub failed: Vec<(usize, String, String)>,
    /// Points stopped on request (saved in their checkpoints) or not
    /// started because of one.
    pub interrupted: usize,
    /// Wall time, s.
    pub seconds: f64,
}

fn run_point(
    p: &PlannedPoint,
    opts: &GridRunOptions,
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PointOutcome> {
    let dir = point_dir(&opts.out, &p.id);
    if is_complete(&dir) {
        return Ok(PointOutcome::Skipped);
    }
    let result = dir.join(RESULT_FILE);
    if result.exists() {
        return Err(Error::file(
            &result,
            "unreadable or incomplete result file; remove it to run this point again",
        ));
    }
    let failed = dir.join(FAILED_FILE);
    if failed.exists() {
        if !opts.retry_failed {
            let m = std::fs::read_to_string(&failed).unwrap_or_default();
            return Ok(PointOutcome::Failed(format!(
                "failed in an earlier run (stdp grid --retry-failed runs it again): {}",
                m.trim()
            )));
        }
        std::fs::remove_file(&failed).map_err(|e| Error::io(&failed, e))?;
    }
    let t0 = Instant::now();
    let done = p.experiment.run(
        &RunContext {
            out: dir,
            force: false,
            // This worker's share of the shard's threads.
            threads,
            mnist_dir: opts.mnist_dir.clone(),
            command: opts.command.clone(),
        },
        progress,
    )?;
    let (resumed, headline) = (done.resumed, done.headline);
    let seconds = t0.elapsed().as_secs_f64();
    let timing = point_dir(&opts.out, &p.id).join(TIMING_FILE);
    write_atomically(&timing, |tmp| {
        let text = serde_json::json!({ "seconds": seconds, "resumed": resumed }).to_string();
        std::fs::write(tmp, text).map_err(|e| Error::io(tmp, e))
    })?;
    Ok(PointOutcome::Done {
        seconds,
        resumed,
        headline,
    })
}

/// The grid output directory of `grid_file` unless one is given:
/// `runs/<its file stem>`.
pub fn default_out(grid_file: &Path) -> PathBuf {
    let stem = grid_file
        .file_stem()
        .map_or_else(|| "grid".into(), |s| s.to_string_lossy().into_owned());
    Path::new("runs").join(stem)
}

/// What a shard will run, decided once before it starts: the caller shows
/// it (start line, progress bar) and [`run_shard`] follows it, so the two
/// cannot disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardPlan {
    /// Points in the shard, complete ones included.
    pub points: usize,
    /// The threads of each worker: one worker per point not yet complete,
    /// up to `opts.threads`, sharing them ([`Threads::share`]).
    pub workers: Vec<usize>,
    /// The shard's work: the sum of its points'
    /// [`crate::experiment::Experiment::work`], complete ones included.
    pub work: u64,
    /// The part of `work` done before the shard starts: its points found
    /// complete (they are skipped, so progress counts them up front).
    pub done: u64,
    /// The unit of `work` ("examples", "steps"): a grid has one base
    /// experiment, hence one unit; "points" for an empty shard.
    pub unit: &'static str,
}

impl ShardPlan {
    /// The plan of `opts.shard` of `grid`, given which points under
    /// `opts.out` are already complete.
    pub fn of(grid: &PlannedGrid, opts: &GridRunOptions) -> Self {
        let mine = points_of(&grid.points, opts.shard);
        let (complete, pending): (Vec<_>, Vec<_>) = mine
            .iter()
            .partition(|p| is_complete(&point_dir(&opts.out, &p.id)));
        let work_of =
            |pts: &[&&PlannedPoint]| -> u64 { pts.iter().map(|p| p.experiment.work().0).sum() };
        let done = work_of(&complete);
        ShardPlan {
            points: mine.len(),
            workers: Threads::new(opts.threads).share(pending.len()),
            work: done + work_of(&pending),
            done,
            unit: mine.first().map_or("points", |p| p.experiment.work().1),
        }
    }
}

/// Checks what the points read besides their configs (e.g. MNIST under
/// `opts.mnist_dir`) on the first point, so that a grid fails before any
/// point runs.
pub fn preflight(grid: &PlannedGrid, opts: &GridRunOptions) -> Result<()> {
    match grid.points.first() {
        Some(p) => p.experiment.preflight(&RunContext {
            out: opts.out.clone(),
            force: false,
            threads: 1,
            mnist_dir: opts.mnist_dir.clone(),
            command: opts.command.clone(),
        }),
        None => Ok(()),
    }
}

/// Records a point's failure in its directory, for `stdp status`, `stdp
/// merge` and `--retry-failed`.
fn record_failure(opts: &GridRunOptions, p: &PlannedPoint, message: &str) {
    let dir = point_dir(&opts.out, &p.id);
    let path = dir.join(FAILED_FILE);
    // Best effort: the failure is reported on the terminal either way.
    let _ = std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(&dir, e))
        .and_then(|()| {
            write_atomically(&path, |tmp| {
                std::fs::write(tmp, format!("{message}\n")).map_err(|e| Error::io(tmp, e))
            })
        });
}

/// Runs the points of `opts.shard` with the workers of `plan` (from
/// [`ShardPlan::of`]), writing the manifest first; `report` is called from
/// worker threads as points start, progress and end.
pub fn run_shard(
    grid: &PlannedGrid,
    opts: &GridRunOptions,
    plan: &ShardPlan,
    report: &(dyn Fn(PointEvent<'_>) + Sync),
) -> Result<ShardSummary> {
    write_manifest(&opts.out, &Manifest::of(grid)?)?;
    let mut mine = points_of(&grid.points, opts.shard);
    // Longest first, so that the workers finish together.
    mine.sort_by(|a, b| b.cost.total_cmp(&a.cost).then(a.index.cmp(&b.index)));
    let next = AtomicUsize::new(0);
    let summary = Mutex::new(ShardSummary {
        points: mine.len(),
        ..ShardSummary::default()
    });
    let t0 = Instant::now();
    crate::blas::set_num_threads(1);
    std::thread::scope(|s| {
        for &threads in &plan.workers {
            let (next, summary, mine) = (&next, &summary, &mine);
            s.spawn(move || {
                loop {
                    if interrupt::requested() {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = mine.get(k) else { break };
                    report(PointEvent::Started(p));
                    let outcome = match run_point(p, opts, threads, &|k| {
                        report(PointEvent::Progress(p, k))
                    }) {
                        Ok(o) => o,
                        Err(Error::Interrupted { .. }) => PointOutcome::Interrupted,
                        Err(e) => {
                            let m = e.to_string();
                            record_failure(opts, p, &m);
                            PointOutcome::Failed(m)
                        }
                    };
                    {
                        let mut sum = summary.lock().unwrap_or_else(|e| e.into_inner());
                        match &outcome {
                            PointOutcome::Skipped => sum.skipped += 1,
                            PointOutcome::Done { .. } => sum.done += 1,
                            PointOutcome::Failed(m) => {
                                sum.failed.push((p.index, p.id.clone(), m.clone()))
                            }
                            PointOutcome::Interrupted => sum.interrupted += 1,
                        }
                    }
                    report(PointEvent::Ended(p, &outcome));
                }
            });
        }
    });
    let mut summary = summary.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.failed.sort();
    // Points never started because of a stop request count as interrupted.
    summary.interrupted = summary.points - summary.done - summary.skipped - summary.failed.len();
    summary.seconds = t0.elapsed().as_secs_f64();
    Ok(summary)
}
