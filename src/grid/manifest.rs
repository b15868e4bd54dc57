//! The grid manifest, `<out>/grid.json`: which points a grid output directory
//! is expected to hold (index, id, overrides), the grid text and its base.
//! Written by every `stdp grid` invocation before it runs anything (the same
//! content from every shard), read by `stdp merge` and `stdp report`.
//!
//! Layout of a grid output directory:
//!
//! ```text
//! <out>/grid.json              this manifest
//! <out>/points/<id>/           one run directory per point (the runner's records)
//! <out>/slurm/                 sbatch script and task logs (`stdp slurm`)
//! <out>/grid.parquet, grid.h5  the merge (`stdp merge`)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::point::PlannedGrid;
use crate::error::{Error, Result};
use crate::experiment::ExperimentKind;

/// File name of the manifest in a grid output directory.
pub const MANIFEST_FILE: &str = "grid.json";

/// One expected point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestPoint {
    /// Position in the grid.
    pub index: usize,
    /// Stable id (config hash); the run directory is `points/<id>`.
    pub id: String,
    /// The overrides of the base config, in key order.
    pub sets: Vec<(String, toml::Value)>,
}

/// The manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The grid file, as given.
    pub grid_file: PathBuf,
    /// Its text.
    pub grid: String,
    /// The base experiment file.
    pub base: PathBuf,
    /// Its text.
    pub base_config: String,
    /// Which runner.
    pub kind: ExperimentKind,
    /// Overrides of every point (`[fixed]`).
    pub fixed: Vec<(String, toml::Value)>,
    /// The axis keys (every key any point overrides), in order.
    pub keys: Vec<String>,
    /// Every point.
    pub points: Vec<ManifestPoint>,
}

impl Manifest {
    /// The manifest of a planned grid.
    pub fn of(grid: &PlannedGrid) -> Result<Manifest> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, e));
        let mut keys: Vec<String> = Vec::new();
        for p in &grid.points {
            for (k, _) in &p.point.sets {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        Ok(Manifest {
            grid_file: grid.file.clone(),
            grid: read(&grid.file)?,
            base: grid.base.clone(),
            base_config: read(&grid.base)?,
            kind: grid.kind,
            fixed: grid.fixed.sets.clone(),
            keys,
            points: grid
                .points
                .iter()
                .map(|p| ManifestPoint {
                    index: p.index,
                    id: p.id.clone(),
                    sets: p.point.sets.clone(),
                })
                .collect(),
        })
    }

    /// The value of `key` at `point`, if the point sets it.
    pub fn value<'a>(point: &'a ManifestPoint, key: &str) -> Option<&'a toml::Value> {
        point.sets.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The values of every key, per point (for tables).
    pub fn columns(&self) -> BTreeMap<&str, Vec<Option<&toml::Value>>> {
        self.keys
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.points.iter().map(|p| Manifest::value(p, k)).collect(),
                )
            })
            .collect()
    }
}

/// Writes `m` to `<out>/grid.json` (atomically, under a name private to this
/// process, so that shards starting together do not collide).
pub fn write_manifest(out: &Path, m: &Manifest) -> Result<()> {
    let path = out.join(MANIFEST_FILE);
    let json = serde_json::to_string_pretty(m).map_err(|e| Error::file(&path, e))?;
    if std::fs::read_to_string(&path).is_ok_and(|old| old == json) {
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let tmp = out.join(format!(".{MANIFEST_FILE}.{}.partial", std::process::id()));
    std::fs::write(&tmp, &json).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
}

/// Reads `<dir>/grid.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::file(
                &path,
                "not found: not a grid output directory (run `stdp grid <grid.toml> --out DIR` first)",
            )
        } else {
            Error::io(&path, e)
        }
    })?;
    serde_json::from_str(&text).map_err(|e| Error::file(&path, format!("not a grid manifest: {e}")))
}

/// The run directory of point `id` under the grid output directory `out`.
pub fn point_dir(out: &Path, id: &str) -> PathBuf {
    out.join("points").join(id)
}
