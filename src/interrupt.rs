//! Stop requests: a long run asked to stop (by SLURM before a time limit or
//! a preemption, by `kill`, by Ctrl-C) finishes its current step or example,
//! writes a checkpoint and ends with [`Error::Interrupted`](crate::Error::Interrupted);
//! the binary then exits with [`EXIT_INTERRUPTED`]. Running the same command
//! again resumes bitwise where it stopped.
//!
//! [`install`] connects SIGTERM, SIGUSR1 and SIGINT to the request flag (a
//! second Ctrl-C ends the process at once); the loops of the experiments
//! poll [`requested`] at their boundaries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit status of a run that stopped on request after saving its state
/// (`EX_TEMPFAIL` of `sysexits.h`: "try again later").
pub const EXIT_INTERRUPTED: i32 = 75;

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Makes SIGTERM, SIGUSR1 and SIGINT request a stop (a second SIGINT
/// while one is pending terminates the process with status 130).
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
    let f = flag();
    // Registered first, so that it sees the flag before the second SIGINT sets it.
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(f))?;
    for sig in [SIGTERM, SIGUSR1, SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(f))?;
    }
    Ok(())
}

/// Whether a stop has been requested.
pub fn requested() -> bool {
    flag().load(Ordering::Relaxed)
}

/// Requests a stop (what the signals do; for tests and embedding programs).
pub fn request() {
    flag().store(true, Ordering::Relaxed);
}

/// Withdraws a request (for tests and embedding programs).
pub fn clear() {
    flag().store(false, Ordering::Relaxed);
}
