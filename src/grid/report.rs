//! Reports over a merged grid: the points grouped by some axis keys (by
//! default every axis but `seed`), a metric's mean, standard deviation
//! (sample, ddof = 1), min, max and count over each group (the seeds), best
//! group first; and a figure of the metric against one axis.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::manifest::{Manifest, read_manifest};
use super::merge::MERGED_PARQUET;
use crate::error::{Error, Result};
use crate::record::frame::{read_parquet, write_csv};
use crate::record::plots::{Series, metric_vs_axis};

/// What to report.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Grouping keys; empty = every axis key except `seed`.
    pub by: Vec<String>,
    /// The metric; `None` = `accuracy_percent` (Diehl & Cook) or `w_std` (synapse runs).
    pub metric: Option<String>,
    /// Smaller is better (default: larger is better).
    pub ascending: bool,
    /// The axis of the figure; `None` = the first numeric grouping key.
    pub x: Option<String>,
}

/// A report.
#[derive(Debug)]
pub struct Report {
    /// The metric reported.
    pub metric: String,
    /// Grouping keys.
    pub by: Vec<String>,
    /// One row per group, best first: the keys, `n`, `<metric>_mean`,
    /// `<metric>_std`, `<metric>_min`, `<metric>_max`.
    pub table: DataFrame,
    /// Files written (the table as CSV, the figure).
    pub files: Vec<PathBuf>,
}

/// Lines drawn in a report's figure at most.
const MAX_LINES: usize = 10;

/// Groups the merged table of `dir` and writes `report_<metric>.csv`
/// (`report_<metric>_by_<keys>.csv` with `--by`) and
/// `report_<metric>_vs_<x>.png` beside it.
pub fn report(dir: &Path, o: &ReportOptions) -> Result<Report> {
    let m: Manifest = read_manifest(dir)?;
    let parquet = dir.join(MERGED_PARQUET);
    if !parquet.exists() {
        return Err(Error::file(
            &parquet,
            format!(
                "not found: merge the grid first (`stdp merge {}`)",
                dir.display()
            ),
        ));
    }
    let df = read_parquet(&parquet)?;
    let metric = o
        .metric
        .clone()
        .unwrap_or_else(|| m.kind.default_metric().to_string());
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let check = |k: &str, what: &str| {
        if names.iter().any(|n| n == k) {
            Ok(())
        } else {
            Err(Error::Config {
                file: parquet.clone(),
                key: k.to_string(),
                message: format!("no such {what} column; columns: {}", names.join(", ")),
            })
        }
    };
    check(&metric, "metric")?;
    let by: Vec<String> = if o.by.is_empty() {
        m.keys.iter().filter(|k| *k != "seed").cloned().collect()
    } else {
        o.by.clone()
    };
    for k in &by {
        check(k, "grouping")?;
    }
    let aggs = [
        col(metric.as_str()).count().alias("n"),
        col(metric.as_str()).mean().alias(format!("{metric}_mean")),
        col(metric.as_str()).std(1).alias(format!("{metric}_std")),
        col(metric.as_str()).min().alias(format!("{metric}_min")),
        col(metric.as_str()).max().alias(format!("{metric}_max")),
    ];
    let lazy = df.lazy();
    let grouped = if by.is_empty() {
        lazy.select(aggs)
    } else {
        let keys: Vec<Expr> = by.iter().map(|k| col(k.as_str())).collect();
        lazy.group_by(keys).agg(aggs)
    };
    let mut sort_keys = vec![format!("{metric}_mean")];
    sort_keys.extend(by.iter().cloned());
    let mut descending = vec![!o.ascending];
    descending.extend(by.iter().map(|_| false));
    let mut table = grouped
        .sort(
            sort_keys,
            SortMultipleOptions::default()
                .with_order_descending_multi(descending)
                .with_nulls_last(true),
        )
        .collect()
        .map_err(|e| Error::file(&parquet, e))?;

    let safe = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let grouping = if o.by.is_empty() {
        String::new()
    } else {
        format!("_by_{}", safe(&by.join("+")))
    };
    let csv = dir.join(format!("report_{}{grouping}.csv", safe(&metric)));
    write_csv(&csv, &mut table)?;
    let mut files = vec![csv];

    // The figure: the metric against `x`, one line per value of the other keys.
    let numeric = |k: &str| {
        table
            .column(k)
            .is_ok_and(|c| c.dtype().is_primitive_numeric())
    };
    let x = match &o.x {
        Some(x) => {
            if !by.contains(x) {
                return Err(Error::Config {
                    file: parquet.clone(),
                    key: x.clone(),
                    message: format!(
                        "the figure's axis must be a grouping key ({})",
                        by.join(", ")
                    ),
                });
            }
            Some(x.clone())
        }
        None => by.iter().find(|k| numeric(k)).cloned(),
    };
    if let Some(x) = x.filter(|x| numeric(x)) {
        let f64s = |name: &str| -> Result<Vec<f64>> {
            let c = table
                .column(name)
                .and_then(|c| c.cast(&DataType::Float64))
                .map_err(|e| Error::file(&parquet, e))?;
            let c = c.f64().map_err(|e| Error::file(&parquet, e))?;
            Ok((0..c.len()).map(|i| c.get(i).unwrap_or(f64::NAN)).collect())
        };
        let xs = f64s(&x)?;
        let means = f64s(&format!("{metric}_mean"))?;
        let stds = f64s(&format!("{metric}_std"))?;
        let others: Vec<&String> = by.iter().filter(|k| **k != x).collect();
        let mut series: Vec<Series> = Vec::new();
        for i in 0..table.height() {
            let label = others
                .iter()
                .map(|k| {
                    let v = table.column(k).ok().and_then(|c| c.get(i).ok());
                    let v = v.map_or_else(String::new, |v| v.to_string());
                    format!("{k}={}", v.trim_matches('"'))
                })
                .collect::<Vec<_>>()
                .join(" ");
            let point = (xs[i], means[i], stds[i]);
            match series.iter_mut().find(|s| s.0 == label) {
                Some(s) => s.1.push(point),
                None => series.push((label, vec![point])),
            }
        }
        // Too many lines to read: keep the best few (the table comes best first).
        let lines = series.len();
        series.truncate(MAX_LINES);
        let shown = if lines > MAX_LINES {
            format!(", best {MAX_LINES} of {lines} lines")
        } else {
            String::new()
        };
        let pooled: Vec<&str> = m
            .keys
            .iter()
            .filter(|k| !by.contains(k))
            .map(String::as_str)
            .collect();
        let over = if pooled.is_empty() {
            "nothing: one point per group".to_string()
        } else {
            pooled.join(", ")
        };
        let png = dir.join(format!("report_{}_vs_{}.png", safe(&metric), safe(&x)));
        let name = m
            .grid_file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        metric_vs_axis(
            &png,
            &format!("{name}: {metric} (mean ± std over {over}{shown})"),
            &x,
            &metric,
            &series,
        )?;
        files.push(png);
    }
    Ok(Report {
        metric,
        by,
        table,
        files,
    })
}
