//! The HDF5 result file of a synapse batch (`result.h5`): config,
//! per-instance parameters, final weights, snapshots and statistics. Layout:
//! docs/results-format.md; header and completeness: [`super::run_dir`].

use std::path::Path;

use ndarray::Array2;

use super::ExperimentKind;
use super::run_dir::{Header, check_complete, mark_complete, write_header};
use crate::config::{InputPlan, Plan};
use crate::error::{Error, Result};
use crate::record::atomic::write_atomically;
use crate::record::h5::{
    create_file, get_1d, get_2d, get_scalar, get_str, h5err, put, put_snapshots, set_scalar,
};
use crate::record::stats::{FLOAT_COLUMNS, StatsTable};
use crate::synapse::exp_stdp::{PARAM_NAMES, ValidExpStdpParams};

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
        let header = Header {
            kind: ExperimentKind::Run,
            name: &plan.name,
            config: &plan.resolved_toml,
            config_hash: &plan.config_hash,
            seed: plan.seed,
        };
        write_header(&file, &header, path)?;
        set_scalar(&file, "steps", plan.steps as u64, path)?;
        set_scalar(&file, "instances", instances.len() as u64, path)?;
        for rec in instances {
            let g = file.create_group(&instance_group(rec.index)).map_err(&e)?;
            let p = rec.params.get();
            for (k, v) in p.named() {
                set_scalar(&g, k, f64::from(v), path)?;
            }
            let r = rec.input.raw;
            let input = [r.pre_rate_hz, r.post_rate_hz, r.tau_pre_ms, r.tau_post_ms];
            for (k, v) in INPUT_KEYS.into_iter().zip(input) {
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
        mark_complete(&file, path)?;
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

/// The input parameters stored per instance, after the rule's ([`PARAM_NAMES`]).
const INPUT_KEYS: [&str; 4] = ["pre_rate_hz", "post_rate_hz", "tau_pre_ms", "tau_post_ms"];

/// Reads a complete result file; an unreadable, truncated or incomplete one is an error.
pub fn read_result(path: &Path) -> Result<ResultSummary> {
    let file = check_complete(path)?;
    let n: u64 = get_scalar(&file, "instances", path)?;
    let mut weights = Vec::new();
    let mut params = Vec::new();
    for i in 0..n as usize {
        let g = file
            .group(&instance_group(i))
            .map_err(|e| Error::file(path, format!("group {}: {e}", instance_group(i))))?;
        weights.push(get_2d(&g, "weights", path)?);
        let mut ps = Vec::new();
        for k in PARAM_NAMES.iter().chain(&INPUT_KEYS) {
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
