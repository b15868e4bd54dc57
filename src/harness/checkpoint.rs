//! Checkpoints: the whole state of every instance, so that a killed run resumes
//! exactly where the last checkpoint left it (bitwise: same weights, same stats).
//!
//! One HDF5 file, `checkpoint.h5` in the run directory, replaced atomically,
//! holding the state and how many records (snapshots, statistics rows) of
//! each instance it covers; the records themselves are appended to
//! [`records.h5`](super::records) just before, so that a checkpoint's cost
//! does not grow with the length of the run. The RNG is stored as its word
//! position in the instance's ChaCha8 stream.

use std::path::Path;

use ndarray::Array2;

use super::instance::{Instance, instance_rng};
use super::records::{Persisted, RECORDS_FILE, append_records, read_records};
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::record::atomic::write_atomically;
use crate::record::codec::{H5Record, Reader, Writer};
use crate::record::h5::{create_file, get_scalar, h5err, open_checkpoint, open_file};
use crate::record::stats::ActivityWindow;

fn group_name(i: usize) -> String {
    format!("i{i:05}")
}

/// The checkpointed state of one instance (group `i{index:05}`).
#[derive(Clone, Debug, PartialEq)]
struct InstanceState {
    step: u64,
    rng_pos: u128,
    window: ActivityWindow,
    weights: Array2<f32>,
    x_pre: Array2<f32>,
    x_post: Array2<f32>,
    /// How many of the instance's records the records file held when the
    /// checkpoint was taken.
    persisted: Persisted,
}

impl H5Record for ActivityWindow {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("pre", self.pre_spikes)?;
        w.attr("post", self.post_spikes)?;
        w.attr("out_sum", self.out_sum)?;
        w.attr("steps", self.steps)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(ActivityWindow {
            pre_spikes: r.attr("pre")?,
            post_spikes: r.attr("post")?,
            out_sum: r.attr("out_sum")?,
            steps: r.attr("steps")?,
        })
    }
}

impl H5Record for Persisted {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("snapshots", self.snapshots as u64)?;
        w.attr("stats", self.stats as u64)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(Persisted {
            snapshots: r.attr::<u64>("snapshots")? as usize,
            stats: r.attr::<u64>("stats")? as usize,
        })
    }
}

impl H5Record for InstanceState {
    fn write(&self, w: &Writer<'_>) -> Result<()> {
        w.attr("step", self.step)?;
        w.u128("rng_pos", self.rng_pos)?;
        w.record("win_", &self.window)?;
        w.array("weights", &self.weights)?;
        w.array("x_pre", &self.x_pre)?;
        w.array("x_post", &self.x_post)?;
        w.record("records_", &self.persisted)
    }
    fn read(r: &Reader<'_>) -> Result<Self> {
        Ok(InstanceState {
            step: r.attr("step")?,
            rng_pos: r.u128("rng_pos")?,
            window: r.record("win_")?,
            weights: r.array2("weights")?,
            x_pre: r.array2("x_pre")?,
            x_post: r.array2("x_post")?,
            persisted: r.record("records_")?,
        })
    }
}

/// Appends the records made since the last checkpoint (`persisted`, advanced)
/// to `records.h5` beside `path`, then writes the state of `instances` (all
/// at the same step).
pub fn write_checkpoint(
    path: &Path,
    plan: &Plan,
    instances: &[Instance],
    persisted: &mut [Persisted],
) -> Result<()> {
    append_records(&records_path(path), instances, persisted)?;
    write_atomically(path, |tmp| {
        let e = h5err(path);
        let file = create_file(tmp)?;
        Writer::new(&file, path).text("config_hash", &plan.config_hash)?;
        for inst in instances {
            let g = file.create_group(&group_name(inst.index)).map_err(&e)?;
            InstanceState {
                step: inst.step as u64,
                rng_pos: inst.rng.get_word_pos(),
                window: inst.window,
                weights: inst.weights.clone(),
                x_pre: inst.x_pre.clone(),
                x_post: inst.x_post.clone(),
                persisted: persisted[inst.index],
            }
            .write(&Writer::new(&g, path))?;
        }
        file.close().map_err(&e)
    })
}

/// The records file that goes with the checkpoint at `path`.
pub fn records_path(checkpoint: &Path) -> std::path::PathBuf {
    checkpoint.with_file_name(RECORDS_FILE)
}

/// Reads a checkpoint of `plan`'s run, with its records (cutting off any
/// appended after it); a checkpoint of another config is an error.
pub fn read_checkpoint(path: &Path, plan: &Plan) -> Result<(Vec<Instance>, Vec<Persisted>)> {
    let file = open_checkpoint(path, &plan.config_hash)?;
    let mut out = Vec::with_capacity(plan.instances.len());
    let mut persisted = Vec::with_capacity(plan.instances.len());
    for ip in &plan.instances {
        let g = file
            .group(&group_name(ip.index))
            .map_err(|e| Error::file(path, format!("instance {}: {e}", ip.index)))?;
        let s = InstanceState::read(&Reader::new(&g, path))?;
        if s.x_pre.dim() != (plan.batch, plan.n_in)
            || s.x_post.dim() != (plan.batch, plan.n_out)
            || s.weights.dim() != (plan.n_in, plan.n_out)
        {
            return Err(Error::file(
                path,
                "checkpoint shapes do not match the config",
            ));
        }
        let mut rng = instance_rng(plan.seed, ip.index);
        rng.set_word_pos(s.rng_pos);
        let mut inst = Instance::restore(plan, ip, s.weights, rng);
        inst.step = s.step as usize;
        inst.window = s.window;
        inst.x_pre = s.x_pre;
        inst.x_post = s.x_post;
        let (stats, snapshots) = read_records(
            &records_path(path),
            ip.index,
            s.persisted,
            (plan.n_in, plan.n_out),
        )?;
        inst.stats = stats;
        inst.snapshots = snapshots;
        persisted.push(s.persisted);
        out.push(inst);
    }
    Ok((out, persisted))
}

/// The step a checkpoint was taken at (that of its first instance).
pub fn checkpoint_step(path: &Path) -> Result<u64> {
    let file =
        open_file(path).map_err(|e| Error::file(path, format!("unreadable checkpoint: {e}")))?;
    let g = file
        .group(&group_name(0))
        .map_err(|e| Error::file(path, e))?;
    get_scalar(&g, "step", path)
}
