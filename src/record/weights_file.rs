//! Weight matrices on disk: NumPy `.npz` (key `weights`) and HDF5 (dataset `weights`).
//!
//! The `.npz` files are plain uncompressed ZIP archives of `.npy` members, the
//! format `numpy.savez` writes and `numpy.load` reads.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use ndarray::{Array2, ArrayView2};
use ndarray_npy::{NpzReader, NpzWriter};

use super::atomic::write_atomically;
use super::h5::{create_file, open_file};
use crate::error::{Error, Result};

/// The array name under which weights are stored, in `.npz` and HDF5 alike.
pub const WEIGHTS_KEY: &str = "weights";

/// Writes `w` to `path` as an `.npz` archive with the single member `key`.
pub fn write_npz(path: &Path, key: &str, w: ArrayView2<f32>) -> Result<()> {
    write_atomically(path, |tmp| {
        let f = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        let mut npz = NpzWriter::new(BufWriter::new(f));
        npz.add_array(key, &w).map_err(|e| Error::file(path, e))?;
        npz.finish().map_err(|e| Error::file(path, e))?;
        Ok(())
    })
}

/// Reads the 2-D float32 member `key` of an `.npz` archive.
pub fn read_npz(path: &Path, key: &str) -> Result<Array2<f32>> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut npz = NpzReader::new(f)
        .map_err(|e| Error::file(path, format!("not a readable .npz archive: {e}")))?;
    npz.by_name(key).map_err(|e| {
        Error::file(
            path,
            format!("cannot read a 2-D float32 array `{key}`: {e}"),
        )
    })
}

/// Writes `w` to an HDF5 file as dataset `weights`, with `attrs` as float attributes.
pub fn write_hdf5(path: &Path, w: ArrayView2<f32>, attrs: &[(&str, f64)]) -> Result<()> {
    write_atomically(path, |tmp| {
        let h5 = |e: hdf5::Error| Error::file(path, e);
        let file = create_file(tmp)?;
        let ds = file
            .new_dataset_builder()
            .with_data(&w)
            .create(WEIGHTS_KEY)
            .map_err(h5)?;
        for (name, v) in attrs {
            ds.new_attr::<f64>()
                .create(*name)
                .and_then(|a| a.write_scalar(v))
                .map_err(h5)?;
        }
        file.close().map_err(h5)
    })
}

/// Reads dataset `weights` of an HDF5 file as a 2-D float32 array.
pub fn read_hdf5(path: &Path) -> Result<Array2<f32>> {
    if !path.exists() {
        return Err(Error::io(path, std::io::ErrorKind::NotFound.into()));
    }
    let h5 = |e: hdf5::Error| Error::file(path, e);
    let file = open_file(path).map_err(h5)?;
    let ds = file.dataset(WEIGHTS_KEY).map_err(h5)?;
    ds.read_2d::<f32>().map_err(h5)
}
