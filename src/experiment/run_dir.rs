//! The run directory every experiment writes into, in one place: its file
//! names, what `--force` means, the lock, the result file's header (with the
//! experiment's `kind`) and the test for a finished run.
//!
//! Layout (each experiment adds its own records beside these):
//!
//! - `result.h5`: the result, written under a temporary name and renamed when
//!   complete; its root attribute `complete = 1` is the last thing written, so
//!   a file without it (or one that does not open) is not a result;
//! - `checkpoint.h5`: the state of an unfinished run (the same command
//!   resumes from it); removed when the run completes;
//! - `.lock`: held while a process works in the directory
//!   ([`crate::record::run_lock`]).

use std::path::{Path, PathBuf};

use super::ExperimentKind;
use crate::error::{Error, Result};
use crate::record::h5::{get_scalar, get_str, open_file, set_scalar, set_str};
use crate::record::run_lock::{RunLock, lock_run_dir};

/// The result file's name inside a run directory.
pub const RESULT_FILE: &str = "result.h5";

/// The checkpoint's name inside a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.h5";

/// A Diehl & Cook run's summary (JSON, the fields of
/// [`DcSummary`](super::dc_run::DcSummary)).
pub const SUMMARY_FILE: &str = "summary.json";

/// A run directory, locked for the life of this value.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    _lock: RunLock,
}

impl RunDir {
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its result file.
    pub fn result(&self) -> PathBuf {
        self.path.join(RESULT_FILE)
    }

    /// Its checkpoint.
    pub fn checkpoint(&self) -> PathBuf {
        self.path.join(CHECKPOINT_FILE)
    }

    /// Removes the checkpoint once the result is complete.
    pub fn finish(&self) -> Result<()> {
        remove_if_exists(&self.checkpoint())
    }
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// Creates (or opens) the run directory `out` and locks it. A finished run
/// there is an error unless `force`; with `force` the old result and any
/// checkpoint are removed first, so the run starts from scratch and a
/// killed forced run never leaves the previous result beside its new
/// checkpoint. Without `force` a checkpoint is kept for the run to resume.
pub fn prepare(out: &Path, force: bool) -> Result<RunDir> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let lock = lock_run_dir(out)?;
    let dir = RunDir {
        path: out.to_path_buf(),
        _lock: lock,
    };
    let result = dir.result();
    if result.exists() && !force {
        return Err(Error::file(
            out,
            "already holds a run (result.h5); refusing to overwrite it: pass --force, or choose another --out",
        ));
    }
    if force {
        remove_if_exists(&result)?;
        remove_if_exists(&dir.checkpoint())?;
    }
    Ok(dir)
}

/// Whether `dir` holds a finished run: a readable `result.h5` with `complete = 1`.
pub fn is_complete(dir: &Path) -> bool {
    check_complete(&dir.join(RESULT_FILE)).is_ok()
}

/// Opens the result file `path` when it is complete; an absent, unreadable,
/// truncated or unfinished one is an error saying which.
pub fn check_complete(path: &Path) -> Result<hdf5::File> {
    if !path.exists() {
        return Err(Error::io(path, std::io::ErrorKind::NotFound.into()));
    }
    let file = open_file(path).map_err(|e| {
        Error::file(
            path,
            format!("not a readable HDF5 result file (truncated or corrupt?): {e}"),
        )
    })?;
    match get_scalar::<u8>(&file, "complete", path) {
        Ok(1) => Ok(file),
        Ok(_) => Err(Error::file(
            path,
            "incomplete result file (`complete` != 1)",
        )),
        Err(_) => Err(Error::file(
            path,
            "incomplete result file (no `complete` attribute): the run did not finish",
        )),
    }
}

/// What every result file starts with (root attributes).
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// The experiment's kind (attribute `kind`: `run` or `dc`).
    pub kind: ExperimentKind,
    /// Experiment name.
    pub name: &'a str,
    /// Resolved config, TOML.
    pub config: &'a str,
    /// Config hash.
    pub config_hash: &'a str,
    /// Master seed.
    pub seed: u64,
}

/// Writes `h` (and the crate version) as root attributes of `file`.
pub fn write_header(file: &hdf5::File, h: &Header, path: &Path) -> Result<()> {
    set_str(file, "kind", h.kind.command(), path)?;
    set_str(file, "name", h.name, path)?;
    set_str(file, "config", h.config, path)?;
    set_str(file, "config_hash", h.config_hash, path)?;
    set_str(file, "crate_version", env!("CARGO_PKG_VERSION"), path)?;
    set_scalar(file, "seed", h.seed, path)
}

/// Marks `file` complete: the last attribute a result file gets.
pub fn mark_complete(file: &hdf5::File, path: &Path) -> Result<()> {
    set_scalar(file, "complete", 1u8, path)
}

/// The kind of the experiment that wrote the result file `file` (at
/// `path`): its `kind` attribute, or for files written before it existed,
/// `dc` when it has `evaluated_on` and `run` otherwise.
pub fn result_kind(file: &hdf5::File, path: &Path) -> Result<ExperimentKind> {
    match get_str(file, "kind", path) {
        Ok(k) => ExperimentKind::from_command(&k)
            .ok_or_else(|| Error::file(path, format!("unknown experiment kind `{k}`"))),
        Err(_) if file.attr("evaluated_on").is_ok() => Ok(ExperimentKind::Dc),
        Err(_) => Ok(ExperimentKind::Run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_removes_the_result_and_the_checkpoint_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("run");
        std::fs::create_dir_all(&out).unwrap();
        for f in [RESULT_FILE, CHECKPOINT_FILE, SUMMARY_FILE] {
            std::fs::write(out.join(f), "x").unwrap();
        }
        let refused = prepare(&out, false).unwrap_err().to_string();
        assert!(refused.contains("--force"), "{refused}");
        assert!(out.join(RESULT_FILE).exists() && out.join(CHECKPOINT_FILE).exists());
        drop(prepare(&out, true).unwrap());
        assert!(!out.join(RESULT_FILE).exists());
        assert!(!out.join(CHECKPOINT_FILE).exists());
        assert!(out.join(SUMMARY_FILE).exists());
    }

    #[test]
    fn without_force_a_checkpoint_is_kept_for_the_resume() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(CHECKPOINT_FILE), "x").unwrap();
        let dir = prepare(tmp.path(), false).unwrap();
        assert!(dir.checkpoint().exists());
        dir.finish().unwrap();
        assert!(!tmp.path().join(CHECKPOINT_FILE).exists());
    }

    #[test]
    fn a_result_without_the_complete_mark_is_not_complete() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(RESULT_FILE);
        assert!(!is_complete(tmp.path()), "absent");
        std::fs::write(&path, "not hdf5").unwrap();
        assert!(!is_complete(tmp.path()), "not HDF5");
        let f = crate::record::h5::create_file(&path).unwrap();
        let h = Header {
            kind: ExperimentKind::Dc,
            name: "n",
            config: "",
            config_hash: "0",
            seed: 1,
        };
        write_header(&f, &h, &path).unwrap();
        assert!(!is_complete(tmp.path()), "no complete mark");
        assert_eq!(result_kind(&f, &path).unwrap(), ExperimentKind::Dc);
        mark_complete(&f, &path).unwrap();
        drop(f);
        assert!(is_complete(tmp.path()));
    }
}
