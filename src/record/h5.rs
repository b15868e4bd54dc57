//! Small HDF5 helpers shared by result files and checkpoints.

use std::path::Path;
use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5::{Group, Location};
use ndarray::{Array1, Array2, ArrayD};

use crate::error::{Error, Result};

/// Creates (truncating) an HDF5 file with file locking off.
///
/// HDF5 locks files with `flock` on descriptors it opens without
/// close-on-exec, so a child process started while a file is open (a test
/// harness, a job submitter, a Python reader) inherits the lock and keeps
/// later opens of that file failing with "unable to lock file". Every file
/// here is written under a temporary name and renamed when complete, so the
/// lock protects nothing that the rename does not already.
pub fn create_file(path: &Path) -> Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|f| f.file_locking(false))
        .create(path)
        .map_err(|e| Error::file(path, e))
}

/// Opens an HDF5 file read-only with file locking off (see [`create_file`]).
pub fn open_file(path: &Path) -> std::result::Result<hdf5::File, hdf5::Error> {
    hdf5::File::with_options()
        .with_fapl(|f| f.file_locking(false))
        .open(path)
}

/// Maps an HDF5 error to [`Error::File`] for `path`.
pub fn h5err(path: &Path) -> impl Fn(hdf5::Error) -> Error + '_ {
    move |e| Error::file(path, e)
}

/// Writes a UTF-8 string attribute.
pub fn set_str(loc: &Location, name: &str, value: &str, path: &Path) -> Result<()> {
    let v = VarLenUnicode::from_str(value)
        .map_err(|e| Error::file(path, format!("attribute {name}: {e}")))?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(h5err(path))
}

/// Writes a scalar attribute.
pub fn set_scalar<T: hdf5::H5Type>(
    loc: &Location,
    name: &str,
    value: T,
    path: &Path,
) -> Result<()> {
    loc.new_attr::<T>()
        .shape(())
        .create(name)
        .and_then(|a| a.write_scalar(&value))
        .map_err(h5err(path))
}

/// Writes a `u128` (e.g. a random stream's position) as attributes `{name}_hi`, `{name}_lo`.
pub fn set_u128(loc: &Location, name: &str, value: u128, path: &Path) -> Result<()> {
    set_scalar(loc, &format!("{name}_hi"), (value >> 64) as u64, path)?;
    set_scalar(loc, &format!("{name}_lo"), value as u64, path)
}

/// Reads what [`set_u128`] wrote.
pub fn get_u128(loc: &Location, name: &str, path: &Path) -> Result<u128> {
    let hi: u64 = get_scalar(loc, &format!("{name}_hi"), path)?;
    let lo: u64 = get_scalar(loc, &format!("{name}_lo"), path)?;
    Ok((u128::from(hi) << 64) | u128::from(lo))
}

/// Reads a UTF-8 string attribute.
pub fn get_str(loc: &Location, name: &str, path: &Path) -> Result<String> {
    let v: VarLenUnicode = loc
        .attr(name)
        .and_then(|a| a.read_scalar())
        .map_err(|e| Error::file(path, format!("attribute `{name}`: {e}")))?;
    Ok(v.as_str().to_string())
}

/// Reads a scalar attribute.
pub fn get_scalar<T: hdf5::H5Type>(loc: &Location, name: &str, path: &Path) -> Result<T> {
    loc.attr(name)
        .and_then(|a| a.read_scalar())
        .map_err(|e| Error::file(path, format!("attribute `{name}`: {e}")))
}

/// Writes a dataset from any array.
pub fn put<'a, T: hdf5::H5Type + 'a, D: ndarray::Dimension>(
    g: &Group,
    name: &str,
    data: impl Into<ndarray::ArrayView<'a, T, D>>,
    path: &Path,
) -> Result<()> {
    g.new_dataset_builder()
        .with_data(data.into())
        .create(name)
        .map(|_| ())
        .map_err(h5err(path))
}

/// Reads a 1-D dataset.
pub fn get_1d<T: hdf5::H5Type>(g: &Group, name: &str, path: &Path) -> Result<Array1<T>> {
    g.dataset(name)
        .and_then(|d| d.read_1d())
        .map_err(|e| Error::file(path, format!("dataset `{name}`: {e}")))
}

/// Reads a 2-D dataset.
pub fn get_2d<T: hdf5::H5Type>(g: &Group, name: &str, path: &Path) -> Result<Array2<T>> {
    g.dataset(name)
        .and_then(|d| d.read_2d())
        .map_err(|e| Error::file(path, format!("dataset `{name}`: {e}")))
}

/// Reads a dataset of any rank.
pub fn get_dyn<T: hdf5::H5Type>(g: &Group, name: &str, path: &Path) -> Result<ArrayD<T>> {
    g.dataset(name)
        .and_then(|d| d.read_dyn())
        .map_err(|e| Error::file(path, format!("dataset `{name}`: {e}")))
}

/// Writes `snapshots` as a chunked (one snapshot per chunk), shuffled and
/// deflated dataset `(T, n_in, n_out)`, resizable along T, plus `snapshot_steps (T)`.
pub fn put_snapshots(
    g: &Group,
    snapshots: &[(u64, Array2<f32>)],
    shape: (usize, usize),
    path: &Path,
) -> Result<()> {
    let (n_in, n_out) = shape;
    let ds = g
        .new_dataset::<f32>()
        .chunk((1, n_in, n_out))
        .shuffle()
        .deflate(4)
        .shape((0.., n_in, n_out))
        .create("snapshots")
        .map_err(h5err(path))?;
    ds.resize((snapshots.len(), n_in, n_out))
        .map_err(h5err(path))?;
    for (k, (_, w)) in snapshots.iter().enumerate() {
        ds.write_slice(w, ndarray::s![k, .., ..])
            .map_err(h5err(path))?;
    }
    let steps: Array1<u64> = snapshots.iter().map(|(s, _)| *s).collect();
    put(g, "snapshot_steps", &steps, path)
}

/// Opens a checkpoint and checks that it belongs to the config with hash
/// `config_hash` (root attribute `config_hash`).
pub fn open_checkpoint(path: &Path, config_hash: &str) -> Result<hdf5::File> {
    let file = open_file(path).map_err(|e| {
        Error::file(
            path,
            format!("unreadable checkpoint (delete it or run with --force): {e}"),
        )
    })?;
    let hash = get_str(&file, "config_hash", path)?;
    if hash != config_hash {
        return Err(Error::file(
            path,
            format!(
                "checkpoint of a different config (hash {hash}, this config {config_hash}): use another --out, or --force to start over"
            ),
        ));
    }
    Ok(file)
}
