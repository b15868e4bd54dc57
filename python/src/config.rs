//! Configs from Python: a path, or a dict written as a TOML file; keyword
//! overrides as the command line's `--set key=value` (`a__b=1` sets `a.b`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A config file, removed on drop when it was written from a dict.
pub struct ConfigFile {
    /// The file.
    pub path: PathBuf,
    temporary: bool,
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `value` (named `key` in errors) as a TOML value.
fn to_toml(key: &str, value: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if value.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(value.extract()?));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        return Ok(toml::Value::Table(dict_to_table(key, d)?));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in value.try_iter()? {
            items.push(to_toml(key, &item?)?);
        }
        return Ok(toml::Value::Array(items));
    }
    if let Ok(p) = value.extract::<PathBuf>() {
        return Ok(toml::Value::String(p.display().to_string()));
    }
    // numpy scalars and other numbers.
    if let Ok(i) = value
        .call_method0("__index__")
        .and_then(|i| i.extract::<i64>())
    {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = value
        .call_method0("__float__")
        .and_then(|f| f.extract::<f64>())
    {
        return Ok(toml::Value::Float(f));
    }
    Err(PyTypeError::new_err(format!(
        "`{key}`: a {} cannot be a config value (expected bool, int, float, str, list or dict)",
        value.get_type().name()?
    )))
}

fn dict_to_table(prefix: &str, d: &Bound<'_, PyDict>) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        let k: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!("`{prefix}`: config keys must be strings"))
        })?;
        let full = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        t.insert(k, to_toml(&full, &v)?);
    }
    Ok(t)
}

/// The config `config`: a path (str or `os.PathLike`) or a dict, which is
/// written to a temporary TOML file for the library's loader.
pub fn config_file(config: &Bound<'_, PyAny>, what: &str) -> PyResult<ConfigFile> {
    if let Ok(d) = config.cast::<PyDict>() {
        static N: AtomicU64 = AtomicU64::new(0);
        let table = dict_to_table("", d)?;
        let text =
            toml::to_string(&table).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
        let path = std::env::temp_dir().join(format!(
            "stdp_harness-{what}-dict-{}-{}.toml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text)
            .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))?;
        return Ok(ConfigFile {
            path,
            temporary: true,
        });
    }
    let path: PathBuf = config.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected a path (str or os.PathLike) or a dict, got {}",
            config
                .get_type()
                .name()
                .map_or("?".into(), |n| n.to_string())
        ))
    })?;
    Ok(ConfigFile {
        path,
        temporary: false,
    })
}

/// Keyword overrides as `--set` strings (`a__b` → `a.b`).
pub fn sets(overrides: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    if let Some(d) = overrides {
        for (k, v) in d.iter() {
            let key = k.extract::<String>()?.replace("__", ".");
            let value = to_toml(&key, &v)?;
            out.push(format!("{key}={value}"));
        }
    }
    Ok(out)
}
