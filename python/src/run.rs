//! `stdp_harness.diehl_cook` and `stdp_harness.grid`: the library's one
//! driver (`Experiment::run`, `grid::runner::run_shard`), as `stdp dc` and
//! `stdp grid` call it, with progress on `sys.stderr` and Ctrl-C saving a
//! checkpoint (module `watch`).

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use stdp_harness::Error;
use stdp_harness::experiment::dc_run::default_mnist_dir;
use stdp_harness::experiment::{ExperimentKind, Progress, RunContext};
use stdp_harness::grid::load_planned_grid;
use stdp_harness::grid::runner::{
    GridRunOptions, PointEvent, PointOutcome, ShardPlan, default_out, preflight, run_shard,
};
use stdp_harness::grid::shard::Shard;
use stdp_harness::par::Threads;

use crate::config::{config_file, sets};
use crate::errors::{IntoPy, to_py};
use crate::watch::{Watch, say};

/// `json.loads` of the file `path`.
pub fn load_json<'py>(py: Python<'py>, path: &Path) -> PyResult<Bound<'py, PyAny>> {
    let text = std::fs::read_to_string(path).map_err(|e| to_py(Error::io(path, e)))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// The exception of a call that Ctrl-C stopped: Python's own pending
/// `KeyboardInterrupt` (its handler runs now), or a new one saying where
/// the state is.
fn interrupted(py: Python<'_>, message: String) -> PyErr {
    match py.check_signals() {
        Err(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => {
            let _ = e.value(py).setattr("args", (message,));
            e
        }
        Err(e) => e,
        Ok(()) => PyKeyboardInterrupt::new_err(message),
    }
}

/// Runs a Diehl & Cook experiment (the experiment file `config`, a path, or
/// a dict of its keys) in `out` (default `runs/NAME`), resuming from a
/// checkpoint there, as `stdp dc` does; keyword overrides are `--set`s
/// (`exp_stdp__eta=1e-3` sets `exp_stdp.eta`). Progress goes to stderr;
/// Ctrl-C saves a checkpoint and raises `KeyboardInterrupt` (the same call
/// resumes). Returns the run's `summary.json` as a dict.
#[pyfunction]
#[pyo3(signature = (config, out=None, threads=None, *, mnist=None, force=false, quiet=false, **overrides))]
#[allow(clippy::too_many_arguments)]
pub fn diehl_cook<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    mnist: Option<PathBuf>,
    force: bool,
    quiet: bool,
    overrides: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sets = sets(overrides)?;
    let file = config_file(config, "config")?;
    let threads = Threads::from_flag(threads).py()?.get();
    let exp = py
        .detach(|| ExperimentKind::Dc.load(&file.path, &sets))
        .py()?;
    drop(file);
    let out = out.unwrap_or_else(|| Path::new("runs").join(exp.name()));
    let (total, unit) = exp.work();
    let ctx = RunContext {
        out: out.clone(),
        force,
        threads,
        mnist_dir: mnist.unwrap_or_else(default_mnist_dir),
        command: format!(
            "stdp_harness.diehl_cook({}, out={:?}{})",
            config.repr()?,
            out.display().to_string(),
            sets.iter().map(|s| format!(", {s}")).collect::<String>()
        ),
    };
    let mut watch = Watch::new(exp.name().to_string(), total, unit, quiet);
    let (result, _ctrl_c) = py.detach(|| {
        let r = exp.run(&ctx, &|p| match p {
            Progress::Resumed(k) => watch.resumed(k),
            Progress::Advanced { phase, units } => watch.advanced(phase, units),
        });
        (r, watch.stop())
    });
    match result {
        Ok(_) => load_json(py, &out.join("summary.json")),
        Err(Error::Interrupted { checkpoint }) => Err(interrupted(
            py,
            format!(
                "stopped; state saved in {}: call again with the same arguments to resume",
                checkpoint.display()
            ),
        )),
        Err(e) => Err(to_py(e)),
    }
}

/// Runs the points of a grid file (or of one shard `"I/N"` of it) into `out`
/// (default `runs/GRID`), skipping complete ones and resuming checkpointed
/// ones, `threads` points at a time, as `stdp grid` does; then `stdp merge`
/// and `stdp report` (or `read_run` on each point) read them. Returns
/// `{"out", "points", "done", "skipped", "failed", "interrupted",
/// "seconds"}`; a failed point raises `RuntimeError` naming it, Ctrl-C saves
/// the points in flight and raises `KeyboardInterrupt`.
#[pyfunction]
#[pyo3(signature = (grid_file, out=None, threads=None, *, shard=None, mnist=None, retry_failed=false, quiet=false))]
#[allow(clippy::too_many_arguments)]
pub fn grid<'py>(
    py: Python<'py>,
    grid_file: PathBuf,
    out: Option<PathBuf>,
    threads: Option<usize>,
    shard: Option<String>,
    mnist: Option<PathBuf>,
    retry_failed: bool,
    quiet: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let g = py.detach(|| load_planned_grid(&grid_file)).py()?;
    let shard = match shard {
        Some(s) => Shard::parse(&s).map_err(|m| PyValueError::new_err(format!("shard {m}")))?,
        None => Shard::ALL,
    };
    let threads = Threads::from_flag(threads).py()?.get();
    let out = out.unwrap_or_else(|| default_out(&grid_file));
    let opts = GridRunOptions {
        out: out.clone(),
        shard,
        threads,
        mnist_dir: mnist.unwrap_or_else(default_mnist_dir),
        command: format!("stdp_harness.grid({:?})", grid_file.display().to_string()),
        retry_failed,
    };
    // Fail before any point runs when what they read is not there.
    preflight(&g, &opts).py()?;
    let label = grid_file.display().to_string();
    // Counted in the points' units of work (examples, steps), so that a
    // few long points show a rate and an ETA before the first one ends.
    let plan = ShardPlan::of(&g, &opts);
    let mut watch = Watch::new(label.clone(), plan.work, plan.unit, quiet);
    watch.already_done(plan.done);
    // The shard runner sets BLAS to one thread (points run side by side);
    // the rest of the Python session keeps what it had.
    let blas_threads = stdp_harness::blas::num_threads();
    let (summary, _ctrl_c) = py.detach(|| {
        let r = run_shard(&g, &opts, &plan, &|ev| {
            let (p, outcome) = match ev {
                PointEvent::Started(_) => return,
                PointEvent::Progress(_, Progress::Resumed(k)) => return watch.resumed(k),
                PointEvent::Progress(_, Progress::Advanced { units, .. }) => {
                    return watch.advanced("", units);
                }
                PointEvent::Ended(p, outcome) => (p, outcome),
            };
            if !quiet {
                let what = match outcome {
                    PointOutcome::Skipped => "already complete".to_string(),
                    PointOutcome::Done {
                        seconds, headline, ..
                    } => {
                        format!("done in {seconds:.1} s: {headline}")
                    }
                    PointOutcome::Failed(m) => format!("FAILED: {m}"),
                    PointOutcome::Interrupted => "stopped on request, state saved".into(),
                };
                say(&label, &format!("point {} ({}): {what}", p.index, p.id));
            }
        });
        (r, watch.stop())
    });
    stdp_harness::blas::set_num_threads(blas_threads);
    let s = summary.py()?;
    if !s.failed.is_empty() {
        let lines: Vec<String> = s
            .failed
            .iter()
            .map(|(i, id, m)| format!("  point {i} ({id}): {m}"))
            .collect();
        return Err(PyRuntimeError::new_err(format!(
            "{} point(s) failed (the others are complete):\n{}",
            s.failed.len(),
            lines.join("\n")
        )));
    }
    if s.interrupted > 0 {
        return Err(interrupted(
            py,
            format!(
                "{} point(s) stopped or not started; state saved in {}: call again to resume",
                s.interrupted,
                out.join("points").display()
            ),
        ));
    }
    let d = PyDict::new(py);
    d.set_item("out", out)?;
    d.set_item("points", s.points)?;
    d.set_item("done", s.done)?;
    d.set_item("skipped", s.skipped)?;
    d.set_item("failed", s.failed.len())?;
    d.set_item("interrupted", s.interrupted)?;
    d.set_item("seconds", s.seconds)?;
    Ok(d)
}
