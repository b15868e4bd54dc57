//! The records of an unfinished run (weight snapshots and statistics rows),
//! appended to `records.h5` at each checkpoint: a checkpoint writes only what
//! was recorded since the previous one, so its cost does not grow with the
//! length of the run.
//!
//! The checkpoint (written after the append) stores how many snapshots and
//! rows of each instance belong to it; on resume the records are read up to
//! those counts and anything appended after them (by a run killed between
//! the append and the checkpoint) is cut off. Both files go when the run
//! finishes and `result.h5` holds everything.

use std::path::Path;

use hdf5::{Dataset, Group, H5Type};
use ndarray::{Array2, Ix3, s};

use super::instance::Instance;
use crate::error::{Error, Result};
use crate::record::h5::h5err;
use crate::record::stats::{FLOAT_COLUMNS, StatsTable};

/// The records file's name inside the run directory.
pub const RECORDS_FILE: &str = "records.h5";

/// How many snapshots and statistics rows of one instance are in the records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Persisted {
    /// Weight snapshots.
    pub snapshots: usize,
    /// Statistics rows.
    pub stats: usize,
}

fn group_name(i: usize) -> String {
    format!("i{i:05}")
}

/// Opens `path` read-write (creating it when absent), file locking off as
/// every file here (see [`crate::record::h5::create_file`]).
fn open_rw(path: &Path) -> Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|f| f.file_locking(false))
        .append(path)
        .map_err(|e| Error::file(path, e))
}

fn group(file: &hdf5::File, name: &str, path: &Path) -> Result<Group> {
    if file.link_exists(name) {
        file.group(name).map_err(h5err(path))
    } else {
        file.create_group(name).map_err(h5err(path))
    }
}

/// Appends `data` to the resizable 1-D dataset `name` (created when absent).
fn append_1d<T: H5Type + Copy>(g: &Group, name: &str, data: &[T], path: &Path) -> Result<()> {
    let ds = if g.link_exists(name) {
        g.dataset(name).map_err(h5err(path))?
    } else {
        g.new_dataset::<T>()
            .chunk(4096)
            .shape(0..)
            .create(name)
            .map_err(h5err(path))?
    };
    let old = ds.shape()[0];
    ds.resize(old + data.len()).map_err(h5err(path))?;
    ds.write_slice(data, s![old..old + data.len()])
        .map_err(h5err(path))
}

fn snapshots_dataset(g: &Group, shape: (usize, usize), path: &Path) -> Result<Dataset> {
    if g.link_exists("snapshots") {
        return g.dataset("snapshots").map_err(h5err(path));
    }
    g.new_dataset::<f32>()
        .chunk((1, shape.0, shape.1))
        .shuffle()
        .deflate(4)
        .shape((0.., shape.0, shape.1))
        .create("snapshots")
        .map_err(h5err(path))
}

/// Appends what each instance recorded beyond `persisted` to the records
/// file at `path` and advances `persisted`.
pub fn append_records(
    path: &Path,
    instances: &[Instance],
    persisted: &mut [Persisted],
) -> Result<()> {
    let file = open_rw(path)?;
    for (inst, p) in instances.iter().zip(persisted.iter_mut()) {
        let g = group(&file, &group_name(inst.index), path)?;
        let new_snaps = &inst.snapshots[p.snapshots..];
        let steps: Vec<u64> = new_snaps.iter().map(|(s, _)| *s).collect();
        append_1d(&g, "snapshot_steps", &steps, path)?;
        let ds = snapshots_dataset(&g, inst.weights.dim(), path)?;
        let old = ds.shape()[0];
        let (n_in, n_out) = inst.weights.dim();
        ds.resize((old + new_snaps.len(), n_in, n_out))
            .map_err(h5err(path))?;
        for (k, (_, w)) in new_snaps.iter().enumerate() {
            ds.write_slice(w, s![old + k, .., ..])
                .map_err(h5err(path))?;
        }
        let st = &inst.stats;
        let from = p.stats;
        append_1d(&g, "stats_step", &st.step[from..], path)?;
        append_1d(&g, "stats_instance", &st.instance[from..], path)?;
        for (name, col) in FLOAT_COLUMNS.iter().zip(&st.floats) {
            append_1d(&g, &format!("stats_{name}"), &col[from..], path)?;
        }
        *p = Persisted {
            snapshots: inst.snapshots.len(),
            stats: st.len(),
        };
    }
    file.close().map_err(h5err(path))
}

/// Reads the first `upto[k]` 1-D values of dataset `name` and cuts it there.
fn take_1d<T: H5Type + Clone>(g: &Group, name: &str, upto: usize, path: &Path) -> Result<Vec<T>> {
    let ds = g
        .dataset(name)
        .map_err(|e| Error::file(path, format!("dataset `{name}`: {e}")))?;
    if ds.shape()[0] < upto {
        return Err(Error::file(
            path,
            format!("dataset `{name}` holds fewer records than the checkpoint"),
        ));
    }
    let v = ds
        .read_slice_1d::<T, _>(s![..upto])
        .map_err(h5err(path))?
        .to_vec();
    ds.resize(upto).map_err(h5err(path))?;
    Ok(v)
}

/// `(step, weights)` snapshots of one instance.
pub type Snapshots = Vec<(u64, Array2<f32>)>;

/// Reads instance `index`'s records up to `p` (cutting off anything after)
/// for weights of `shape`.
pub fn read_records(
    path: &Path,
    index: usize,
    p: Persisted,
    shape: (usize, usize),
) -> Result<(StatsTable, Snapshots)> {
    if p == Persisted::default() && !path.exists() {
        return Ok((StatsTable::default(), Vec::new()));
    }
    let file = open_rw(path)?;
    let g = file
        .group(&group_name(index))
        .map_err(|e| Error::file(path, format!("instance {index}: {e}")))?;
    let steps: Vec<u64> = take_1d(&g, "snapshot_steps", p.snapshots, path)?;
    let ds = g.dataset("snapshots").map_err(h5err(path))?;
    if ds.shape()[0] < p.snapshots || ds.shape()[1..] != [shape.0, shape.1] {
        return Err(Error::file(path, "snapshots do not match the checkpoint"));
    }
    let data = ds
        .read_slice::<f32, _, Ix3>(s![..p.snapshots, .., ..])
        .map_err(h5err(path))?;
    ds.resize((p.snapshots, shape.0, shape.1))
        .map_err(h5err(path))?;
    let snapshots = steps
        .into_iter()
        .zip(data.outer_iter())
        .map(|(s, w)| (s, w.to_owned()))
        .collect();
    let mut stats = StatsTable {
        step: take_1d(&g, "stats_step", p.stats, path)?,
        instance: take_1d(&g, "stats_instance", p.stats, path)?,
        ..StatsTable::default()
    };
    for (k, name) in FLOAT_COLUMNS.iter().enumerate() {
        stats.floats[k] = take_1d(&g, &format!("stats_{name}"), p.stats, path)?;
    }
    file.close().map_err(h5err(path))?;
    Ok((stats, snapshots))
}
