//! The HDF5 result file of a run (`result.h5`): config, per-instance parameters,
//! final weights, snapshots and statistics. Layout: docs/results-format.md.
//!
//! Written under a temporary name and renamed when complete; the root
//! attribute `complete = 1` is the last thing written. A file without it (or
//! that does not open) is not a result.

use std::path::Path;

use ndarray::Array2;

use super::atomic::write_atomically;
use super::h5::{
    create_file, get_1d, get_2d, get_scalar, get_str, h5err, open_file, put, put_snapshots,
    set_scalar, set_str,
};
use super::stats::{FLOAT_COLUMNS, StatsTable};
use crate::config::{InputPlan, Plan};
use crate::error::{Error, Result};
use crate::synapse::exp_stdp::ValidExpStdpParams;

/// The file name of a run's result inside its directory.
pub const RESULT_FILE: &str = "result.h5";

/// What the result file stores of one instance.
#[derive(Clone, Copy, Debug)]
pub struct InstanceRecord<'a> {
    /// Index.
    pub index: usize,
    /// Rule parameters.
    pub params: &'a ValidExpStdpParams,
    /// Input statistics.
    pub input: &'a InputPlan,
    /// Final weights.
    pub weights: &'a Array2<f32>,
    /// `(step, weights)` snapshots.
    pub snapshots: &'a [(u64, Array2<f32>)],
}

/// The group name of instance `i`: `instances/00003`.
pub fn instance_group(i: usize) -> String {
    format!("instances/{i:05}")
}

/// Writes the result file of a finished run to `path`.
pub fn write_result(
    path: &Path,
    plan: &Plan,
    instances: &[InstanceRecord],
    stats: &StatsTable,
) -> Result<()> {
    write_atomically(path, |tmp| {
        let e = h5err(path);
        let file = create_file(tmp)?;
        set_str(&file, "name", &plan.name, path)?;
        set_str(&file, "config", &plan.resolved_toml, path)?;
        set_str(&file, "config_hash", &plan.config_hash, path)?;
        set_str(&file, "crate_version", env!("CARGO_PKG_VERSION"), path)?;
        set_scalar(&file, "seed", plan.seed, path)?;
        set_scalar(&file, "steps", plan.steps as u64, path)?;
        set_scalar(&file, "instances", instances.len() as u64, path)?;
        for rec in instances {
            let g = file.create_group(&instance_group(rec.index)).map_err(&e)?;
            let p = rec.params.get();
            for (k, v) in [
                ("w_bound", p.w_bound),
                ("eta", p.eta),
                ("x_tar", p.x_tar),
                ("exp_beta", p.exp_beta),
                ("a_plus", p.a_plus),
                ("a_minus", p.a_minus),
                ("w_norm", p.w_norm.unwrap_or(f32::NAN)),
            ] {
                set_scalar(&g, k, f64::from(v), path)?;
            }
            let r = rec.input.raw;
            for (k, v) in [
                ("pre_rate_hz", r.pre_rate_hz),
                ("post_rate_hz", r.post_rate_hz),
                ("tau_pre_ms", r.tau_pre_ms),
                ("tau_post_ms", r.tau_post_ms),
            ] {
                set_scalar(&g, k, v, path)?;
            }
            put(&g, "weights", rec.weights, path)?;
            put_snapshots(&g, rec.snapshots, rec.weights.dim(), path)?;
        }
        let sg = file.create_group("stats").map_err(&e)?;
        put(
            &sg,
            "step",
            &ndarray::Array1::from(stats.step.clone()),
            path,
        )?;
        put(
            &sg,
            "instance",
            &ndarray::Array1::from(stats.instance.clone()),
            path,
        )?;
        for (name, col) in FLOAT_COLUMNS.iter().zip(&stats.floats) {
            put(&sg, name, &ndarray::Array1::from(col.clone()), path)?;
        }
        set_scalar(&file, "complete", 1u8, path)?;
        file.close().map_err(&e)
    })
}

/// The parts of a result file that `stdp inspect` and tests read back.
#[derive(Clone, Debug)]
pub struct ResultSummary {
    /// Experiment name.
    pub name: String,
    /// Resolved config, TOML.
    pub config: String,
    /// Version of the crate that wrote it.
    pub crate_version: String,
    /// Master seed.
    pub seed: u64,
    /// Steps per instance.
    pub steps: u64,
    /// Final weights per instance.
    pub weights: Vec<Array2<f32>>,
    /// Per instance: `(key, value)` of the rule and input parameters.
    pub params: Vec<Vec<(String, f64)>>,
    /// All statistics rows.
    pub stats: StatsTable,
}

const PARAM_KEYS: [&str; 11] = [
    "w_bound",
    "eta",
    "x_tar",
    "exp_beta",
    "a_plus",
    "a_minus",
    "w_norm",
    "pre_rate_hz",
    "post_rate_hz",
    "tau_pre_ms",
    "tau_post_ms",
];

/// Reads a complete result file; an unreadable, truncated or incomplete one is an error.
pub fn read_result(path: &Path) -> Result<ResultSummary> {
    if !path.exists() {
        return Err(Error::io(path, std::io::ErrorKind::NotFound.into()));
    }
    let file = open_file(path).map_err(|e| {
        Error::file(
            path,
            format!("not a readable HDF5 result file (truncated or corrupt?): {e}"),
        )
    })?;
    let complete: u8 = get_scalar(&file, "complete", path).map_err(|_| {
        Error::file(
            path,
            "incomplete result file (no `complete` attribute): the run did not finish",
        )
    })?;
    if complete != 1 {
        return Err(Error::file(
            path,
            "incomplete result file (`complete` != 1)",
        ));
    }
    let n: u64 = get_scalar(&file, "instances", path)?;
    let mut weights = Vec::new();
    let mut params = Vec::new();
    for i in 0..n as usize {
        let g = file
            .group(&instance_group(i))
            .map_err(|e| Error::file(path, format!("group {}: {e}", instance_group(i))))?;
        weights.push(get_2d(&g, "weights", path)?);
        let mut ps = Vec::new();
        for k in PARAM_KEYS {
            ps.push((k.to_string(), get_scalar::<f64>(&g, k, path)?));
        }
        params.push(ps);
    }
    let sg = file
        .group("stats")
        .map_err(|e| Error::file(path, format!("group stats: {e}")))?;
    let mut stats = StatsTable {
        step: get_1d::<u64>(&sg, "step", path)?.to_vec(),
        instance: get_1d::<u32>(&sg, "instance", path)?.to_vec(),
        ..StatsTable::default()
    };
    for (k, name) in FLOAT_COLUMNS.iter().enumerate() {
        stats.floats[k] = get_1d::<f64>(&sg, name, path)?.to_vec();
    }
    Ok(ResultSummary {
        name: get_str(&file, "name", path)?,
        config: get_str(&file, "config", path)?,
        crate_version: get_str(&file, "crate_version", path)?,
        seed: get_scalar(&file, "seed", path)?,
        steps: get_scalar(&file, "steps", path)?,
        weights,
        params,
        stats,
    })
}
