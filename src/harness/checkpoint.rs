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

use super::instance::{Instance, instance_rng};
use super::records::{Persisted, RECORDS_FILE, append_records, read_records};
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::record::atomic::write_atomically;
use crate::record::h5::{
    create_file, get_2d, get_scalar, get_u128, h5err, open_checkpoint, open_file, put, set_scalar,
    set_str, set_u128,
};
use crate::record::stats::ActivityWindow;

fn group_name(i: usize) -> String {
    format!("i{i:05}")
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
        set_str(&file, "config_hash", &plan.config_hash, path)?;
        for inst in instances {
            let g = file.create_group(&group_name(inst.index)).map_err(&e)?;
            set_scalar(&g, "step", inst.step as u64, path)?;
            set_u128(&g, "rng_pos", inst.rng.get_word_pos(), path)?;
            set_scalar(&g, "win_pre", inst.window.pre_spikes, path)?;
            set_scalar(&g, "win_post", inst.window.post_spikes, path)?;
            set_scalar(&g, "win_out_sum", inst.window.out_sum, path)?;
            set_scalar(&g, "win_steps", inst.window.steps, path)?;
            put(&g, "weights", &inst.weights, path)?;
            put(&g, "x_pre", &inst.x_pre, path)?;
            put(&g, "x_post", &inst.x_post, path)?;
            let p = persisted[inst.index];
            set_scalar(&g, "records_snapshots", p.snapshots as u64, path)?;
            set_scalar(&g, "records_stats", p.stats as u64, path)?;
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
        let mut rng = instance_rng(plan.seed, ip.index);
        rng.set_word_pos(get_u128(&g, "rng_pos", path)?);
        let mut inst = Instance::restore(plan, ip, get_2d(&g, "weights", path)?, rng);
        inst.step = get_scalar::<u64>(&g, "step", path)? as usize;
        inst.window = ActivityWindow {
            pre_spikes: get_scalar(&g, "win_pre", path)?,
            post_spikes: get_scalar(&g, "win_post", path)?,
            out_sum: get_scalar(&g, "win_out_sum", path)?,
            steps: get_scalar(&g, "win_steps", path)?,
        };
        inst.x_pre = get_2d(&g, "x_pre", path)?;
        inst.x_post = get_2d(&g, "x_post", path)?;
        let p = Persisted {
            snapshots: get_scalar::<u64>(&g, "records_snapshots", path)? as usize,
            stats: get_scalar::<u64>(&g, "records_stats", path)? as usize,
        };
        let (stats, snapshots) =
            read_records(&records_path(path), ip.index, p, (plan.n_in, plan.n_out))?;
        inst.stats = stats;
        inst.snapshots = snapshots;
        persisted.push(p);
        if inst.x_pre.dim() != (plan.batch, plan.n_in)
            || inst.weights.dim() != (plan.n_in, plan.n_out)
        {
            return Err(Error::file(
                path,
                "checkpoint shapes do not match the config",
            ));
        }
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
