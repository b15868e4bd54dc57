//! Running a synapse batch (`stdp run`): instances in parallel
//! ([`crate::harness`]), checkpoints, resume, and the final records.
//!
//! The run directory ([`super::run_dir`]) holds `result.h5`
//! (written last), `stats.parquet` (and `stats.csv`), and while the run is
//! unfinished `checkpoint.h5` with its records file beside it.

use std::path::PathBuf;
use std::time::Instant;

use super::batch_result::{InstanceRecord, write_result};
use super::run_dir::prepare;
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::harness::checkpoint::{read_checkpoint, records_path, write_checkpoint};
use crate::harness::records::Persisted;
use crate::harness::{Instance, step_instances, worker_pool};
use crate::interrupt;
use crate::record::frame::{to_frame, write_csv, write_parquet};
use crate::record::stats::StatsTable;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run directory.
    pub out: PathBuf,
    /// Worker threads (instances run in parallel over them).
    pub threads: usize,
    /// Replace a finished run in `out`, or a checkpoint of another config.
    pub force: bool,
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Steps run in this invocation, summed over instances.
    pub steps_run: u64,
    /// Step the run resumed from (0 for a fresh start).
    pub resumed_from: usize,
    /// Wall time of this invocation, seconds.
    pub seconds: f64,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The statistics of every instance.
    pub stats: StatsTable,
}

/// Runs `plan` into `opts.out`, resuming from a checkpoint there when one of
/// the same config exists. `progress(k)` is called first, once, with the
/// steps restored from a checkpoint (0 on a fresh start), then as steps
/// complete (from worker threads).
pub fn run(plan: &Plan, opts: &RunOptions, progress: &(dyn Fn(u64) + Sync)) -> Result<RunSummary> {
    let out = &opts.out;
    let dir = prepare(out, opts.force)?;
    let result_path = dir.result();
    let ckpt_path = dir.checkpoint();
    // (A records file without a checkpoint is removed below, before a fresh start.)
    let records_file = records_path(&ckpt_path);
    let (mut instances, mut persisted) = if ckpt_path.exists() {
        read_checkpoint(&ckpt_path, plan)?
    } else {
        // Records without a checkpoint are from a run killed before its first one.
        if records_file.exists() {
            std::fs::remove_file(&records_file).map_err(|e| Error::io(&records_file, e))?;
        }
        let instances = plan
            .instances
            .iter()
            .map(|ip| Instance::new(plan, ip))
            .collect::<Result<Vec<_>>>()?;
        (instances, vec![Persisted::default(); plan.instances.len()])
    };
    let resumed_from = instances.first().map_or(0, |i| i.step);
    progress((resumed_from * instances.len()) as u64);

    let pool = worker_pool(opts.threads).map_err(|m| Error::file(out, m))?;
    let t0 = Instant::now();
    let every = plan.record.checkpoint_every;
    let mut at = resumed_from;
    while at < plan.steps {
        // The next checkpoint boundary (or the end), in slices of at most
        // STOP_POLL_STEPS so that a stop request is seen soon.
        let boundary = at
            .checked_div(every)
            .map_or(plan.steps, |k| ((k + 1) * every).min(plan.steps));
        let until = boundary.min(at + STOP_POLL_STEPS);
        step_instances(plan, &mut instances, until, &pool, progress)?;
        at = until;
        let stop = interrupt::requested();
        if at < plan.steps && (at == boundary || stop) {
            write_checkpoint(&ckpt_path, plan, &instances, &mut persisted)?;
            if stop {
                return Err(Error::Interrupted {
                    checkpoint: ckpt_path,
                });
            }
        }
    }
    let seconds = t0.elapsed().as_secs_f64();

    let mut stats = StatsTable::default();
    for inst in &instances {
        stats.extend(&inst.stats);
    }
    let mut files = Vec::new();
    let mut df = to_frame(&stats)?;
    let parquet = out.join("stats.parquet");
    write_parquet(&parquet, &mut df)?;
    files.push(parquet);
    if plan.record.csv {
        let csv = out.join("stats.csv");
        write_csv(&csv, &mut df)?;
        files.push(csv);
    }
    let records: Vec<InstanceRecord> = instances
        .iter()
        .map(|i| InstanceRecord {
            index: i.index,
            params: i.params(),
            input: &i.input,
            weights: &i.weights,
            snapshots: &i.snapshots,
        })
        .collect();
    write_result(&result_path, plan, &records, &stats)?;
    files.push(result_path);
    dir.finish()?;
    if records_file.exists() {
        std::fs::remove_file(&records_file).map_err(|e| Error::io(&records_file, e))?;
    }
    Ok(RunSummary {
        steps_run: ((plan.steps - resumed_from) * instances.len()) as u64,
        resumed_from,
        seconds,
        files,
        stats,
    })
}

/// Steps between two looks at [`interrupt::requested`] (a checkpoint is
/// written at the step where a stop is seen, whatever `checkpoint_every`).
const STOP_POLL_STEPS: usize = 1000;
