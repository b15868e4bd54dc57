//! Checkpoints: the whole state of every instance, so that a killed run resumes
//! exactly where the last checkpoint left it (bitwise: same weights, same stats).
//!
//! One HDF5 file, `checkpoint.h5` in the run directory, replaced atomically.
//! The RNG is stored as its word position in the instance's ChaCha8 stream.

use std::path::Path;

use ndarray::Array1;

use super::instance::{Instance, instance_rng};
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::record::atomic::write_atomically;
use crate::record::h5::{
    create_file, get_1d, get_2d, get_scalar, get_snapshots, get_u128, h5err, open_checkpoint,
    open_file, put, put_snapshots, set_scalar, set_str, set_u128,
};
use crate::record::stats::{ActivityWindow, FLOAT_COLUMNS, StatsTable};

/// The checkpoint's file name inside the run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.h5";

fn group_name(i: usize) -> String {
    format!("i{i:05}")
}

/// Writes the state of `instances` (all at the same step).
pub fn write_checkpoint(path: &Path, plan: &Plan, instances: &[Instance]) -> Result<()> {
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
            put(
                &g,
                "stats_step",
                &Array1::from(inst.stats.step.clone()),
                path,
            )?;
            put(
                &g,
                "stats_instance",
                &Array1::from(inst.stats.instance.clone()),
                path,
            )?;
            for (name, col) in FLOAT_COLUMNS.iter().zip(&inst.stats.floats) {
                put(
                    &g,
                    &format!("stats_{name}"),
                    &Array1::from(col.clone()),
                    path,
                )?;
            }
            put_snapshots(&g, &inst.snapshots, inst.weights.dim(), path)?;
        }
        file.close().map_err(&e)
    })
}

/// Reads a checkpoint of `plan`'s run; a checkpoint of another config is an error.
pub fn read_checkpoint(path: &Path, plan: &Plan) -> Result<Vec<Instance>> {
    let file = open_checkpoint(path, &plan.config_hash)?;
    let mut out = Vec::with_capacity(plan.instances.len());
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
        let mut stats = StatsTable {
            step: get_1d::<u64>(&g, "stats_step", path)?.to_vec(),
            instance: get_1d::<u32>(&g, "stats_instance", path)?.to_vec(),
            ..StatsTable::default()
        };
        for (k, name) in FLOAT_COLUMNS.iter().enumerate() {
            stats.floats[k] = get_1d::<f64>(&g, &format!("stats_{name}"), path)?.to_vec();
        }
        inst.stats = stats;
        inst.snapshots = get_snapshots(&g, path)?;
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
    Ok(out)
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
