//! One HDF5 codec for typed records (checkpoints).
//!
//! A type says once, in [`H5Record::write`] and [`H5Record::read`], which
//! named attribute (scalars, text) or dataset (vectors, arrays) holds each of
//! its fields; [`Writer`] and [`Reader`] do the HDF5 work and turn every
//! failure into an [`Error::File`] that names the file and the attribute or
//! dataset. A record nested in another is written under a name prefix
//! ([`Writer::record`]), so a record's fields keep flat names such as
//! `exc_v` or `frozen_tested` in the file: checkpoints written before the
//! codec read the same, and Python readers see one flat group.

use std::path::Path;

use hdf5::{Group, H5Type};
use ndarray::{Array1, Array2, ArrayView, Dimension, aview1};

use super::h5::{
    get_1d, get_2d, get_scalar, get_str, get_u128, put, set_scalar, set_str, set_u128,
};
use crate::error::{Error, Result};

/// A typed record stored as named attributes and datasets of one HDF5 group.
pub trait H5Record: Sized {
    /// Writes every field under its name.
    fn write(&self, w: &Writer<'_>) -> Result<()>;
    /// Reads the fields back; a missing or mistyped one is an error naming it.
    fn read(r: &Reader<'_>) -> Result<Self>;
}

/// Writes the fields of a record into a group, under a name prefix.
pub struct Writer<'a> {
    group: &'a Group,
    path: &'a Path,
    prefix: String,
}

impl<'a> Writer<'a> {
    /// A writer into `group` of the file at `path` (for error messages).
    pub fn new(group: &'a Group, path: &'a Path) -> Self {
        Writer {
            group,
            path,
            prefix: String::new(),
        }
    }

    fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A scalar attribute.
    pub fn attr<T: H5Type>(&self, name: &str, value: T) -> Result<()> {
        set_scalar(self.group, &self.name(name), value, self.path)
    }

    /// A `u8` attribute, 1 for `true` (the flags of optional parts).
    pub fn flag(&self, name: &str, value: bool) -> Result<()> {
        self.attr(name, u8::from(value))
    }

    /// A UTF-8 text attribute.
    pub fn text(&self, name: &str, value: &str) -> Result<()> {
        set_str(self.group, &self.name(name), value, self.path)
    }

    /// A `u128` as the attributes `{name}_hi` and `{name}_lo`.
    pub fn u128(&self, name: &str, value: u128) -> Result<()> {
        set_u128(self.group, &self.name(name), value, self.path)
    }

    /// A 1-D dataset.
    pub fn vec<T: H5Type>(&self, name: &str, values: &[T]) -> Result<()> {
        put(self.group, &self.name(name), aview1(values), self.path)
    }

    /// A dataset of any rank.
    pub fn array<'b, T: H5Type + 'b, D: Dimension>(
        &self,
        name: &str,
        data: impl Into<ArrayView<'b, T, D>>,
    ) -> Result<()> {
        put(self.group, &self.name(name), data, self.path)
    }

    /// A nested record, its names prefixed with `prefix`.
    pub fn record<R: H5Record>(&self, prefix: &str, record: &R) -> Result<()> {
        record.write(&Writer {
            group: self.group,
            path: self.path,
            prefix: self.name(prefix),
        })
    }
}

/// Reads the fields of a record from a group, under a name prefix.
pub struct Reader<'a> {
    group: &'a Group,
    path: &'a Path,
    prefix: String,
}

impl<'a> Reader<'a> {
    /// A reader of `group` of the file at `path` (for error messages).
    pub fn new(group: &'a Group, path: &'a Path) -> Self {
        Reader {
            group,
            path,
            prefix: String::new(),
        }
    }

    fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The file being read (for error messages).
    pub fn path(&self) -> &Path {
        self.path
    }

    /// An error about this file.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::file(self.path, message)
    }

    /// Whether the attribute `name` exists (optional and later-added fields).
    pub fn has_attr(&self, name: &str) -> bool {
        let name = self.name(name);
        self.group.attr_names().is_ok_and(|n| n.contains(&name))
    }

    /// Whether the dataset `name` exists.
    pub fn has_data(&self, name: &str) -> bool {
        self.group.link_exists(&self.name(name))
    }

    /// The names (prefix removed) of the datasets whose names start with
    /// `start`, in the file's (alphabetical) order.
    pub fn data_names(&self, start: &str) -> Result<Vec<String>> {
        let start = self.name(start);
        let names = self
            .group
            .member_names()
            .map_err(|e| Error::file(self.path, e))?;
        Ok(names
            .into_iter()
            .filter(|n| n.starts_with(&start))
            .map(|n| n[self.prefix.len()..].to_string())
            .collect())
    }

    /// The size in bytes of one element of the dataset `name`.
    pub fn element_size(&self, name: &str) -> Result<usize> {
        let name = self.name(name);
        self.group
            .dataset(&name)
            .and_then(|d| d.dtype())
            .map(|t| t.size())
            .map_err(|e| Error::file(self.path, format!("dataset `{name}`: {e}")))
    }

    /// A scalar attribute.
    pub fn attr<T: H5Type>(&self, name: &str) -> Result<T> {
        get_scalar(self.group, &self.name(name), self.path)
    }

    /// A flag written by [`Writer::flag`].
    pub fn flag(&self, name: &str) -> Result<bool> {
        Ok(self.attr::<u8>(name)? == 1)
    }

    /// A flag that older files may lack (then `false`).
    pub fn flag_or_false(&self, name: &str) -> Result<bool> {
        if self.has_attr(name) {
            self.flag(name)
        } else {
            Ok(false)
        }
    }

    /// A UTF-8 text attribute.
    pub fn text(&self, name: &str) -> Result<String> {
        get_str(self.group, &self.name(name), self.path)
    }

    /// A `u128` written by [`Writer::u128`].
    pub fn u128(&self, name: &str) -> Result<u128> {
        get_u128(self.group, &self.name(name), self.path)
    }

    /// A 1-D dataset as a vector.
    pub fn vec<T: H5Type>(&self, name: &str) -> Result<Vec<T>> {
        Ok(self.array1(name)?.into_raw_vec_and_offset().0)
    }

    /// A 1-D dataset.
    pub fn array1<T: H5Type>(&self, name: &str) -> Result<Array1<T>> {
        get_1d(self.group, &self.name(name), self.path)
    }

    /// A 2-D dataset.
    pub fn array2<T: H5Type>(&self, name: &str) -> Result<Array2<T>> {
        get_2d(self.group, &self.name(name), self.path)
    }

    /// A 2-D dataset that files may lack (optional parts, later-added
    /// fields): `None` when absent, an error when present but unreadable.
    pub fn optional_array2<T: H5Type>(&self, name: &str) -> Result<Option<Array2<T>>> {
        if self.has_data(name) {
            self.array2(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A nested record, its names prefixed with `prefix`.
    pub fn record<R: H5Record>(&self, prefix: &str) -> Result<R> {
        R::read(&Reader {
            group: self.group,
            path: self.path,
            prefix: self.name(prefix),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::h5::{create_file, open_file};

    #[derive(Debug, PartialEq)]
    struct Inner {
        count: u64,
        values: Vec<f32>,
    }

    impl H5Record for Inner {
        fn write(&self, w: &Writer<'_>) -> Result<()> {
            w.attr("count", self.count)?;
            w.vec("values", &self.values)
        }
        fn read(r: &Reader<'_>) -> Result<Self> {
            Ok(Inner {
                count: r.attr("count")?,
                values: r.vec("values")?,
            })
        }
    }

    #[derive(Debug, PartialEq)]
    struct Outer {
        name: String,
        pos: u128,
        grid: Array2<u8>,
        inner: Inner,
        extra: Option<Inner>,
    }

    impl H5Record for Outer {
        fn write(&self, w: &Writer<'_>) -> Result<()> {
            w.text("name", &self.name)?;
            w.u128("pos", self.pos)?;
            w.array("grid", &self.grid)?;
            w.record("in_", &self.inner)?;
            w.flag("has_extra", self.extra.is_some())?;
            if let Some(e) = &self.extra {
                w.record("extra_", e)?;
            }
            Ok(())
        }
        fn read(r: &Reader<'_>) -> Result<Self> {
            Ok(Outer {
                name: r.text("name")?,
                pos: r.u128("pos")?,
                grid: r.array2("grid")?,
                inner: r.record("in_")?,
                extra: if r.flag("has_extra")? {
                    Some(r.record("extra_")?)
                } else {
                    None
                },
            })
        }
    }

    #[test]
    fn a_nested_record_round_trips_under_flat_prefixed_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.h5");
        let rec = Outer {
            name: "θ run".into(),
            pos: (7u128 << 64) | 9,
            grid: Array2::from_shape_fn((2, 3), |(i, j)| (3 * i + j) as u8),
            inner: Inner {
                count: 4,
                values: vec![0.5, -1.0],
            },
            extra: Some(Inner {
                count: 1,
                values: vec![],
            }),
        };
        let f = create_file(&path).unwrap();
        rec.write(&Writer::new(&f, &path)).unwrap();
        f.close().unwrap();
        let f = open_file(&path).unwrap();
        let r = Reader::new(&f, &path);
        assert_eq!(Outer::read(&r).unwrap(), rec);
        let mut names = f.member_names().unwrap();
        names.sort();
        assert_eq!(names, ["extra_values", "grid", "in_values"]);
        assert!(r.has_attr("in_count") && r.has_attr("extra_count"));
        assert_eq!(r.data_names("in_").unwrap(), ["in_values"]);
        assert_eq!(r.element_size("in_values").unwrap(), 4);
    }

    #[test]
    fn a_missing_field_is_an_error_naming_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.h5");
        let f = create_file(&path).unwrap();
        f.new_attr::<u64>()
            .shape(())
            .create("count")
            .and_then(|a| a.write_scalar(&3u64))
            .unwrap();
        f.close().unwrap();
        let f = open_file(&path).unwrap();
        let err = Inner::read(&Reader::new(&f, &path))
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.h5") && err.contains("`values`"), "{err}");
    }
}
