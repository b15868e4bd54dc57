//! One process per run directory: an exclusive lock on `<dir>/.lock` held for
//! the life of a run, so that a second process started on the same directory
//! fails at once ("in use by process N") instead of racing the first over
//! its checkpoint and result files.
//!
//! The lock is the operating system's advisory file lock (`flock` on Linux):
//! it goes with the process, so a run killed even with `kill -9` leaves no
//! stale lock behind and its resume is never blocked.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// The lock file's name inside a run directory.
pub const LOCK_FILE: &str = ".lock";

/// A held run-directory lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Creates `dir` if needed and takes its lock, or fails naming the process
/// that holds it.
pub fn lock_run_dir(dir: &Path) -> Result<RunLock> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("process {holder}")
            };
            return Err(Error::file(
                dir,
                format!(
                    "in use by {who} (one run per directory; wait for it, or choose another --out)"
                ),
            ));
        }
        Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    file.set_len(0).map_err(|e| Error::io(&path, e))?;
    file.rewind().map_err(|e| Error::io(&path, e))?;
    write!(file, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
    file.flush().map_err(|e| Error::io(&path, e))?;
    Ok(RunLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_until_the_first_goes() {
        let d = tempfile::tempdir().unwrap();
        let first = lock_run_dir(d.path()).unwrap();
        let err = lock_run_dir(d.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("in use by process {}", std::process::id())),
            "{err}"
        );
        drop(first);
        lock_run_dir(d.path()).unwrap();
    }
}
