//! Merging a grid output directory: every point of the manifest must be
//! complete; then one table row per point (its index, id, the value of each
//! axis key, its final metrics) to `grid.parquet` and `grid.csv`, and
//! `grid.h5` with the same table plus each point's final weights.
//!
//! Metrics and arrays per point: what the experiment's kind records
//! ([`crate::experiment::ExperimentKind::records`]).

use std::path::{Path, PathBuf};

use ndarray::Array1;
use polars::prelude::*;

use super::manifest::{Manifest, ManifestPoint, point_dir, read_manifest};
use super::runner::FAILED_FILE;
use super::spec::set_args;
use crate::error::{Error, Result};
use crate::experiment::dc_run::summary_key;
use crate::experiment::run_dir::{CHECKPOINT_FILE, RESULT_FILE, is_complete};
use crate::experiment::{PointRecords, RecordArray};
use crate::record::atomic::write_atomically;
use crate::record::frame::{write_csv, write_parquet};
use crate::record::h5::{create_file, h5err, put, set_scalar, set_str};

/// File names of the merge.
pub const MERGED_PARQUET: &str = "grid.parquet";
/// See [`MERGED_PARQUET`].
pub const MERGED_CSV: &str = "grid.csv";
/// See [`MERGED_PARQUET`].
pub const MERGED_H5: &str = "grid.h5";

/// Columns that measure the machine, not the model (left out when comparing runs).
pub const TIMING_COLUMNS: [&str; 2] = [
    summary_key!(ms_per_train_example),
    summary_key!(wall_time_s),
];

/// Points of the manifest that are not complete, with what their directory holds.
pub fn missing_points(dir: &Path, m: &Manifest) -> Vec<(ManifestPoint, &'static str)> {
    m.points
        .iter()
        .filter_map(|p| {
            let d = point_dir(dir, &p.id);
            if is_complete(&d) {
                return None;
            }
            let state = if d.join(FAILED_FILE).exists() {
                "FAILED in its last run (error in its FAILED file; stdp grid --retry-failed)"
            } else if d.join(CHECKPOINT_FILE).exists() {
                "unfinished (checkpoint)"
            } else if d.join(RESULT_FILE).exists() {
                "unreadable result.h5"
            } else if d.exists() {
                "started, no checkpoint yet"
            } else {
                "not started"
            };
            Some((p.clone(), state))
        })
        .collect()
}

/// One line naming a point: `point 3 (id 0123abcd...): rule.eta=0.001 seed=2`.
pub fn describe(p: &ManifestPoint) -> String {
    let sets = set_args(&p.sets);
    format!("point {} (id {}): {}", p.index, p.id, sets.join(" "))
}

/// A column of the merged table.
enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Text(Vec<String>),
}

/// The values of `key` over the points: integers, floats (integers among
/// floats widened), or text.
fn key_column(m: &Manifest, key: &str) -> Values {
    let vals: Vec<Option<&toml::Value>> =
        m.points.iter().map(|p| Manifest::value(p, key)).collect();
    if vals
        .iter()
        .all(|v| matches!(v, Some(toml::Value::Integer(_))))
    {
        return Values::Int(
            vals.iter()
                .map(|v| v.and_then(|v| v.as_integer()).unwrap_or(0))
                .collect(),
        );
    }
    if vals.iter().all(|v| {
        matches!(
            v,
            Some(toml::Value::Integer(_) | toml::Value::Float(_)) | None
        )
    }) {
        return Values::Float(
            vals.iter()
                .map(|v| match v {
                    Some(toml::Value::Integer(i)) => *i as f64,
                    Some(toml::Value::Float(x)) => *x,
                    _ => f64::NAN,
                })
                .collect(),
        );
    }
    Values::Text(
        vals.iter()
            .map(|v| match v {
                Some(toml::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            })
            .collect(),
    )
}

/// What a merge wrote.
#[derive(Debug)]
pub struct MergeSummary {
    /// Points merged.
    pub points: usize,
    /// The grid file the points came from.
    pub grid_file: PathBuf,
    /// The table (one row per point).
    pub table: DataFrame,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Merges the grid output directory `dir`. Incomplete points are an error
/// that lists every one of them; nothing is written then.
pub fn merge(dir: &Path) -> Result<MergeSummary> {
    let m = read_manifest(dir)?;
    let missing = missing_points(dir, &m);
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|(p, state)| format!("  {} [{state}]", describe(p)))
            .collect();
        return Err(Error::file(
            dir,
            format!(
                "{} of {} points are not complete (run the grid again, or `stdp slurm ... --missing --submit`, to finish them):\n{}",
                missing.len(),
                m.points.len(),
                lines.join("\n")
            ),
        ));
    }
    let records: Vec<PointRecords> = m
        .points
        .iter()
        .map(|p| m.kind.records(&point_dir(dir, &p.id)))
        .collect::<Result<_>>()?;

    let n = m.points.len();
    let mut named: Vec<(String, Values)> = vec![
        (
            "point".into(),
            Values::Int(m.points.iter().map(|p| p.index as i64).collect()),
        ),
        (
            "id".into(),
            Values::Text(m.points.iter().map(|p| p.id.clone()).collect()),
        ),
    ];
    for k in &m.keys {
        named.push((k.clone(), key_column(&m, k)));
    }
    if let Some(first) = records.first() {
        for (j, (name, _)) in first.metrics.iter().enumerate() {
            named.push((
                name.clone(),
                Values::Float(records.iter().map(|r| r.metrics[j].1).collect()),
            ));
        }
    }
    let columns: Vec<Column> = named
        .iter()
        .map(|(name, v)| match v {
            Values::Int(x) => Column::new(name.as_str().into(), x),
            Values::Float(x) => Column::new(name.as_str().into(), x),
            Values::Text(x) => Column::new(name.as_str().into(), x),
        })
        .collect();
    let mut table = DataFrame::new(n, columns).map_err(|e| Error::file(dir, e))?;
    let parquet = dir.join(MERGED_PARQUET);
    let csv = dir.join(MERGED_CSV);
    let h5 = dir.join(MERGED_H5);
    write_parquet(&parquet, &mut table)?;
    write_csv(&csv, &mut table)?;
    write_atomically(&h5, |tmp| {
        let p = &h5;
        let f = create_file(tmp)?;
        set_str(&f, "kind", m.kind.command(), p)?;
        set_str(&f, "grid", &m.grid, p)?;
        set_str(&f, "grid_file", &m.grid_file.to_string_lossy(), p)?;
        set_str(&f, "base_config", &m.base_config, p)?;
        set_str(&f, "crate_version", env!("CARGO_PKG_VERSION"), p)?;
        let t = f.create_group("table").map_err(h5err(p))?;
        for (name, v) in &named {
            match v {
                Values::Int(x) => put(&t, name, &Array1::from(x.clone()), p)?,
                Values::Float(x) => put(&t, name, &Array1::from(x.clone()), p)?,
                Values::Text(x) => {
                    let s: Vec<hdf5::types::VarLenUnicode> = x
                        .iter()
                        .map(|s| {
                            s.parse()
                                .map_err(|e| Error::file(p, format!("{name}: {e}")))
                        })
                        .collect::<Result<_>>()?;
                    put(&t, name, &Array1::from(s), p)?
                }
            }
        }
        let pg = f.create_group("points").map_err(h5err(p))?;
        for (point, rec) in m.points.iter().zip(&records) {
            let g = pg.create_group(&point.id).map_err(h5err(p))?;
            set_scalar(&g, "index", point.index as u64, p)?;
            let sets = set_args(&point.sets);
            set_str(&g, "sets", &sets.join("\n"), p)?;
            for (name, value) in &rec.metrics {
                set_scalar(&g, name, *value, p)?;
            }
            for (name, a) in &rec.arrays {
                match a {
                    RecordArray::F32x1(x) => put(&g, name, x, p)?,
                    RecordArray::F32x2(x) => put(&g, name, x, p)?,
                    RecordArray::F32x3(x) => put(&g, name, x, p)?,
                }
            }
        }
        set_scalar(&f, "points_count", n as u64, p)?;
        set_scalar(&f, "complete", 1u8, p)?;
        f.close().map_err(h5err(p))
    })?;
    Ok(MergeSummary {
        points: n,
        grid_file: m.grid_file.clone(),
        table,
        files: vec![parquet, csv, h5],
    })
}
