//! Statistics as a polars `DataFrame`, written as Parquet (and CSV on request).

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::atomic::write_atomically;
use super::stats::{FLOAT_COLUMNS, StatsTable};
use crate::error::{Error, Result};

/// The table as a `DataFrame`: `step` (u64), `instance` (u32), then the float columns.
pub fn to_frame(t: &StatsTable) -> Result<DataFrame> {
    let mut cols = vec![
        Column::new("step".into(), t.step.clone()),
        Column::new("instance".into(), t.instance.clone()),
    ];
    for (name, v) in FLOAT_COLUMNS.iter().zip(&t.floats) {
        cols.push(Column::new((*name).into(), v.clone()));
    }
    DataFrame::new(t.len(), cols).map_err(|e| Error::file("stats", e))
}

/// Writes `df` to `path` as Parquet (atomically).
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |tmp| {
        let f = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        ParquetWriter::new(f)
            .finish(df)
            .map_err(|e| Error::file(path, e))?;
        Ok(())
    })
}

/// Writes `df` to `path` as CSV with a header (atomically).
pub fn write_csv(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomically(path, |tmp| {
        let f = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        CsvWriter::new(f)
            .finish(df)
            .map_err(|e| Error::file(path, e))?;
        Ok(())
    })
}

/// Reads a Parquet file written by [`write_parquet`].
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(f)
        .finish()
        .map_err(|e| Error::file(path, e))
}
