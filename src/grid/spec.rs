//! Grid files: a base experiment and axes of values for any of its keys,
//! expanded to points (Cartesian product of the axes, times each zipped
//! group, minus excluded combinations). A point is a list of `--set`
//! overrides of the base config.
//!
//! ```toml
//! base = "smoke.toml"                            # relative to the grid file
//! [fixed]                                        # overrides of every point (not axes)
//! steps = 5000
//! [axes]
//! "rule.eta" = [1e-3, 2e-3]                      # a list of values
//! seed = { range = [0, 3] }                      # integers start..end (step 1, or `step`)
//! "rule.x_tar" = { linspace = [0.3, 0.9, 4] }    # 4 floats from 0.3 to 0.9
//! [[zip]]                                        # keys that vary together
//! keys = ["rule.exp_beta", "rule.a_minus"]
//! values = [[1.0, 0.0], [3.0, 0.5]]
//! [[exclude]]                                    # drop points matching all of these
//! "rule.eta" = 2e-3
//! seed = 2
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::plan::toml_err;
use crate::error::{Error, Result};

/// The grid file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrid {
    /// The base experiment file, relative to the grid file.
    pub base: PathBuf,
    /// Overrides applied to every point (dotted keys, as with `--set`).
    #[serde(default)]
    pub fixed: BTreeMap<String, toml::Value>,
    /// One axis per config key.
    #[serde(default)]
    pub axes: BTreeMap<String, RawAxis>,
    /// Groups of keys whose values vary together.
    #[serde(default)]
    pub zip: Vec<RawZip>,
    /// Combinations to drop.
    #[serde(default)]
    pub exclude: Vec<BTreeMap<String, toml::Value>>,
}

/// The values of one axis.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAxis {
    /// Explicit values.
    List(Vec<toml::Value>),
    /// `{ range = [start, end] }` or with `step`: integers `start, start+step, ... < end`.
    Range {
        /// `[start, end]`.
        range: [i64; 2],
        /// Step (default 1).
        #[serde(default)]
        step: Option<i64>,
    },
    /// `{ linspace = [first, last, count] }`: `count` evenly spaced floats.
    Linspace {
        /// `[first, last, count]`.
        linspace: [f64; 3],
    },
}

/// `[[zip]]`: keys that take their values together, row by row.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawZip {
    /// The keys.
    pub keys: Vec<String>,
    /// One row of values per combination, as long as `keys`.
    pub values: Vec<Vec<toml::Value>>,
}

/// One point of a grid: `key = value` overrides of the base config, in key order.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPoint {
    /// `(key, value)` pairs.
    pub sets: Vec<(String, toml::Value)>,
}

/// Overrides as `--set` arguments (`key=value`, values in TOML syntax).
pub fn set_args(sets: &[(String, toml::Value)]) -> Vec<String> {
    sets.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

impl GridPoint {
    /// The overrides as `--set` arguments (see [`set_args`]).
    pub fn set_args(&self) -> Vec<String> {
        set_args(&self.sets)
    }

    /// The `--set` arguments of this point after `fixed`: the fixed
    /// overrides, then its own.
    pub fn set_args_after(&self, fixed: &GridPoint) -> Vec<String> {
        let mut a = fixed.set_args();
        a.extend(self.set_args());
        a
    }
}

impl Grid {
    /// The `--set` arguments of `point`: the fixed overrides, then its own.
    pub fn args(&self, point: &GridPoint) -> Vec<String> {
        point.set_args_after(&self.fixed)
    }
}

/// An expanded grid.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The base experiment file (resolved against the grid file's directory).
    pub base: PathBuf,
    /// Overrides of every point, before the point's own.
    pub fixed: GridPoint,
    /// Every point, in a stable order (axes in key order, last key fastest; zips after).
    pub points: Vec<GridPoint>,
}

fn axis_values(file: &Path, key: &str, axis: &RawAxis) -> Result<Vec<toml::Value>> {
    let values: Vec<toml::Value> = match axis {
        RawAxis::List(v) => v.clone(),
        RawAxis::Range {
            range: [start, end],
            step,
        } => {
            let step = step.unwrap_or(1);
            if step <= 0 {
                return Err(Error::config(
                    file,
                    format!("axes.{key}.step"),
                    format!("{step}: expected a step >= 1"),
                ));
            }
            (*start..*end)
                .step_by(step as usize)
                .map(toml::Value::Integer)
                .collect()
        }
        RawAxis::Linspace {
            linspace: [a, b, n],
        } => {
            if !(a.is_finite() && b.is_finite()) || *n < 1.0 || n.fract() != 0.0 {
                return Err(Error::config(
                    file,
                    format!("axes.{key}.linspace"),
                    "expected [first, last, count] with finite ends and a whole count >= 1",
                ));
            }
            let n = *n as usize;
            (0..n)
                .map(|i| {
                    if n == 1 {
                        *a
                    } else {
                        a + (b - a) * i as f64 / (n - 1) as f64
                    }
                })
                .map(toml::Value::Float)
                .collect()
        }
    };
    if values.is_empty() {
        return Err(Error::config(file, format!("axes.{key}"), "no values"));
    }
    Ok(values)
}

/// Reads and expands a grid file.
pub fn load_grid(path: &Path) -> Result<Grid> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let raw: RawGrid = toml::from_str(&text).map_err(|e| toml_err(path, &text, &e))?;
    expand(path, &raw)
}

/// Expands `raw` (read from `file`, for messages and the base path).
pub fn expand(file: &Path, raw: &RawGrid) -> Result<Grid> {
    let mut points = vec![GridPoint { sets: Vec::new() }];
    for (key, axis) in &raw.axes {
        let values = axis_values(file, key, axis)?;
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.sets.push((key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    for (z, zip) in raw.zip.iter().enumerate() {
        if zip.keys.is_empty() || zip.values.is_empty() {
            return Err(Error::config(
                file,
                format!("zip[{z}]"),
                "expected keys and at least one row of values",
            ));
        }
        if let Some(k) = zip.keys.iter().find(|k| raw.axes.contains_key(*k)) {
            return Err(Error::config(
                file,
                format!("zip[{z}].keys"),
                format!("`{k}` is also an axis"),
            ));
        }
        if let Some((r, row)) = zip
            .values
            .iter()
            .enumerate()
            .find(|(_, row)| row.len() != zip.keys.len())
        {
            return Err(Error::config(
                file,
                format!("zip[{z}].values[{r}]"),
                format!("{} values for {} keys", row.len(), zip.keys.len()),
            ));
        }
        points = points
            .into_iter()
            .flat_map(|p| {
                zip.values.iter().map(move |row| {
                    let mut q = p.clone();
                    q.sets
                        .extend(zip.keys.iter().cloned().zip(row.iter().cloned()));
                    q
                })
            })
            .collect();
    }
    for (x, ex) in raw.exclude.iter().enumerate() {
        if let Some(k) = ex
            .keys()
            .find(|k| !raw.axes.contains_key(*k) && !raw.zip.iter().any(|z| z.keys.contains(k)))
        {
            return Err(Error::config(
                file,
                format!("exclude[{x}].{k}"),
                "not a key of any axis or zip",
            ));
        }
    }
    points.retain(|p| {
        !raw.exclude.iter().any(|ex| {
            ex.iter()
                .all(|(k, v)| p.sets.iter().any(|(pk, pv)| pk == k && same(pv, v)))
        })
    });
    if points.is_empty() {
        return Err(Error::config(file, "exclude", "every point is excluded"));
    }
    if let Some(k) = raw
        .fixed
        .keys()
        .find(|k| raw.axes.contains_key(*k) || raw.zip.iter().any(|z| z.keys.contains(k)))
    {
        return Err(Error::config(
            file,
            format!("fixed.{k}"),
            "also an axis or zip key: a key is either fixed or varied",
        ));
    }
    let fixed = GridPoint {
        sets: raw
            .fixed
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let base = file.parent().unwrap_or(Path::new(".")).join(&raw.base);
    Ok(Grid {
        base,
        fixed,
        points,
    })
}

/// Equality of config values, with integers and floats of the same value equal.
fn same(a: &toml::Value, b: &toml::Value) -> bool {
    match (a, b) {
        (toml::Value::Integer(x), toml::Value::Float(y))
        | (toml::Value::Float(y), toml::Value::Integer(x)) => (*x as f64) == *y,
        _ => a == b,
    }
}
