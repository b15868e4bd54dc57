//! The benchmark history (`results/bench/history.csv`): criterion's
//! estimates of every bench id, one row per id and commit, with the date,
//! CPU model, toolchain and SIMD path they were measured on, and one figure
//! per bench group of the medians over commits (`make bench-record`).
//!
//! Criterion keeps, per bench id, `<criterion dir>/<id>/new/benchmark.json`
//! (the id) and `estimates.json` (point estimates and 95 % confidence
//! bounds, nanoseconds). Recording the same commit again replaces its rows:
//! the history holds one measurement per commit and id.

// Shared by several benches, examples and tests, each using a part.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use stdp_harness::error::{Error, Result};
use stdp_harness::record::atomic::write_atomically;
use stdp_harness::record::plots::{Series, metric_vs_axis};

/// Columns of the history, in order.
pub const HISTORY_COLUMNS: [&str; 11] = [
    "commit",
    "date",
    "cpu",
    "toolchain",
    "simd",
    "group",
    "id",
    "median_ns",
    "median_lower_ns",
    "median_upper_ns",
    "mean_ns",
];

/// One bench id's estimates.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchEstimate {
    /// The bench group (`diehl_cook`).
    pub group: String,
    /// The full id (`diehl_cook/train_example/400`).
    pub id: String,
    /// Median, ns.
    pub median_ns: f64,
    /// 95 % confidence bounds of the median, ns.
    pub median_bounds_ns: (f64, f64),
    /// Mean, ns.
    pub mean_ns: f64,
}

/// Where and with what a measurement was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// Commit (short hash).
    pub commit: String,
    /// Date, `YYYY-MM-DD HH:MM:SS` UTC.
    pub date: String,
    /// CPU model.
    pub cpu: String,
    /// `rustc -V`.
    pub toolchain: String,
    /// SIMD path of the kernels (`avx2+fma` or `baseline`).
    pub simd: String,
}

/// One row of the history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    /// Where and with what.
    pub provenance: Provenance,
    /// What was measured.
    pub estimate: BenchEstimate,
}

fn json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::file(path, e))
}

/// Every bench id criterion has estimates for under `dir`, sorted by id.
pub fn read_criterion(dir: &Path) -> Result<Vec<BenchEstimate>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
        for entry in entries {
            let p = entry.map_err(|e| Error::io(&d, e))?.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if p.join("benchmark.json").exists() && p.join("estimates.json").exists() {
                        found.push(p);
                    }
                } else if p.file_name().is_none_or(|n| n != "base" && n != "report") {
                    stack.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    for p in found {
        let b = json(&p.join("benchmark.json"))?;
        let e = json(&p.join("estimates.json"))?;
        let path = p.join("estimates.json");
        let num = |v: &serde_json::Value, what: &str| {
            v.as_f64()
                .ok_or_else(|| Error::file(&path, format!("no number at `{what}`")))
        };
        let id = b["full_id"]
            .as_str()
            .ok_or_else(|| Error::file(p.join("benchmark.json"), "no `full_id`"))?
            .to_string();
        let group = b["group_id"].as_str().unwrap_or_default().to_string();
        out.push(BenchEstimate {
            group,
            id,
            median_ns: num(&e["median"]["point_estimate"], "median.point_estimate")?,
            median_bounds_ns: (
                num(
                    &e["median"]["confidence_interval"]["lower_bound"],
                    "median.confidence_interval.lower_bound",
                )?,
                num(
                    &e["median"]["confidence_interval"]["upper_bound"],
                    "median.confidence_interval.upper_bound",
                )?,
            ),
            mean_ns: num(&e["mean"]["point_estimate"], "mean.point_estimate")?,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// A CSV field: quoted when it holds a comma or a quote.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Splits one CSV line (quoted fields allowed).
fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Reads a history file (empty when it does not exist).
pub fn read_history(path: &Path) -> Result<Vec<HistoryRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    if split_line(header) != HISTORY_COLUMNS {
        return Err(Error::file(
            path,
            format!("header is not {}", HISTORY_COLUMNS.join(",")),
        ));
    }
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(k, l)| {
            let f = split_line(l);
            let bad = || Error::file(path, format!("line {}: expected 11 fields", k + 2));
            if f.len() != HISTORY_COLUMNS.len() {
                return Err(bad());
            }
            let num = |i: usize| {
                f[i].parse::<f64>().map_err(|_| {
                    Error::file(
                        path,
                        format!(
                            "line {}: `{}` = {:?} is not a number",
                            k + 2,
                            HISTORY_COLUMNS[i],
                            f[i]
                        ),
                    )
                })
            };
            Ok(HistoryRow {
                provenance: Provenance {
                    commit: f[0].clone(),
                    date: f[1].clone(),
                    cpu: f[2].clone(),
                    toolchain: f[3].clone(),
                    simd: f[4].clone(),
                },
                estimate: BenchEstimate {
                    group: f[5].clone(),
                    id: f[6].clone(),
                    median_ns: num(7)?,
                    median_bounds_ns: (num(8)?, num(9)?),
                    mean_ns: num(10)?,
                },
            })
        })
        .collect()
}

/// Writes a history file (atomically).
pub fn write_history(path: &Path, rows: &[HistoryRow]) -> Result<()> {
    let mut text = HISTORY_COLUMNS.join(",");
    text.push('\n');
    for r in rows {
        let (p, e) = (&r.provenance, &r.estimate);
        let fields = [
            field(&p.commit),
            field(&p.date),
            field(&p.cpu),
            field(&p.toolchain),
            field(&p.simd),
            field(&e.group),
            field(&e.id),
            format!("{}", e.median_ns),
            format!("{}", e.median_bounds_ns.0),
            format!("{}", e.median_bounds_ns.1),
            format!("{}", e.mean_ns),
        ];
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    write_atomically(path, |tmp| {
        std::fs::write(tmp, &text).map_err(|e| Error::io(tmp, e))
    })
}

/// `history` with `new` recorded under `prov`: rows of the same commit and
/// id are replaced (recording a commit twice keeps one row per id).
pub fn append(history: &[HistoryRow], prov: &Provenance, new: &[BenchEstimate]) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = history
        .iter()
        .filter(|r| {
            r.provenance.commit != prov.commit || !new.iter().any(|e| e.id == r.estimate.id)
        })
        .cloned()
        .collect();
    rows.extend(new.iter().map(|e| HistoryRow {
        provenance: prov.clone(),
        estimate: e.clone(),
    }));
    rows
}

/// One figure per bench group, `<dir>/<group>.png`: each id's median (ms,
/// with its confidence bounds as error bars) against the commits in the
/// order they were first recorded. Returns the files written.
pub fn draw_history(dir: &Path, rows: &[HistoryRow]) -> Result<Vec<PathBuf>> {
    let mut commits: Vec<&str> = Vec::new();
    for r in rows {
        if !commits.contains(&r.provenance.commit.as_str()) {
            commits.push(&r.provenance.commit);
        }
    }
    let mut groups: Vec<&str> = rows.iter().map(|r| r.estimate.group.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut files = Vec::new();
    for g in groups {
        let mut ids: Vec<&str> = rows
            .iter()
            .filter(|r| r.estimate.group == g)
            .map(|r| r.estimate.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let series: Vec<Series> = ids
            .iter()
            .map(|id| {
                let pts = rows
                    .iter()
                    .filter(|r| r.estimate.id == *id)
                    .map(|r| {
                        let x = commits
                            .iter()
                            .position(|c| *c == r.provenance.commit)
                            .unwrap_or(0) as f64;
                        let e = &r.estimate;
                        let half = (e.median_bounds_ns.1 - e.median_bounds_ns.0) / 2.0;
                        (x, e.median_ns / 1e6, half / 1e6)
                    })
                    .collect();
                (id.to_string(), pts)
            })
            .collect();
        let name = if g.is_empty() { "ungrouped" } else { g };
        let path = dir.join(format!("{}.png", name.replace('/', "_")));
        metric_vs_axis(
            &path,
            &format!("{name}: median per commit ({})", commits.join(", ")),
            "commit (order recorded)",
            "median (ms)",
            &series,
        )?;
        files.push(path);
    }
    Ok(files)
}
