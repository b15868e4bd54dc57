//! A long call watched from Python: progress lines on `sys.stderr` (so that
//! a notebook shows them) and Ctrl-C.
//!
//! While Rust computes without the GIL, Python's SIGINT handler only notes
//! the signal for later. So for the length of the call a second handler is
//! chained onto SIGINT (signal-hook calls the previous one, Python's, too):
//! it sets a flag that a ticker thread turns into the library's stop request
//! (`stdp_harness::interrupt`); the run saves its checkpoint at the next
//! example boundary and returns, and the Python handler, run when the call
//! ends, raises the `KeyboardInterrupt`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use stdp_harness::interrupt;

/// How often the ticker looks at the SIGINT flag.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// How often it prints a progress line.
const PRINT_EVERY: Duration = Duration::from_secs(2);

/// Writes `label: text` to Python's `sys.stderr` (best effort).
pub fn say(label: &str, text: &str) {
    Python::attach(|py| {
        let line = format!("{label}: {text}\n");
        if let Ok(err) = py.import("sys").and_then(|s| s.getattr("stderr")) {
            let _ = err.call_method1("write", (line,));
            let _ = err.call_method0("flush");
        }
    });
}

struct State {
    label: String,
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    resumed: AtomicU64,
    phase: Mutex<&'static str>,
    quiet: bool,
    finished: AtomicBool,
    sigint: Arc<AtomicBool>,
}

/// The watch over one call.
pub struct Watch {
    state: Arc<State>,
    ticker: Option<JoinHandle<()>>,
    sig_id: Option<signal_hook::SigId>,
}

impl Watch {
    /// A watch of `total` units called `unit`, printing lines that start
    /// with `label` unless `quiet`. Clears any earlier stop request.
    pub fn new(label: String, total: u64, unit: &'static str, quiet: bool) -> Watch {
        interrupt::clear();
        let sigint = Arc::new(AtomicBool::new(false));
        // Without the handler Ctrl-C still reaches Python, only later.
        let sig_id =
            signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&sigint)).ok();
        let state = Arc::new(State {
            label,
            unit,
            total,
            done: AtomicU64::new(0),
            resumed: AtomicU64::new(0),
            phase: Mutex::new(""),
            quiet,
            finished: AtomicBool::new(false),
            sigint,
        });
        let s = Arc::clone(&state);
        let ticker = std::thread::spawn(move || tick_loop(&s));
        Watch {
            state,
            ticker: Some(ticker),
            sig_id,
        }
    }

    /// `k` units done before this call started (found complete): counted
    /// in the position, not in the rate, without a line.
    pub fn already_done(&self, k: u64) {
        self.state.resumed.fetch_add(k, Ordering::Relaxed);
        self.state.done.fetch_add(k, Ordering::Relaxed);
    }

    /// `k` units restored from a checkpoint.
    pub fn resumed(&self, k: u64) {
        self.already_done(k);
        if k > 0 && !self.state.quiet {
            say(
                &self.state.label,
                &format!("resumed from a checkpoint at {k}/{}", self.state.total),
            );
        }
    }

    /// `k` more units done in `phase`.
    pub fn advanced(&self, phase: &'static str, k: u64) {
        self.state.done.fetch_add(k, Ordering::Relaxed);
        if !phase.is_empty() {
            *self.state.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        }
    }

    /// Stops the ticker and the SIGINT handler; whether Ctrl-C came. Call
    /// it without the GIL (the ticker may be waiting for it).
    pub fn stop(&mut self) -> bool {
        self.state.finished.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(id) = self.sig_id.take() {
            signal_hook::low_level::unregister(id);
        }
        interrupt::clear();
        self.state.sigint.load(Ordering::Relaxed)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Not joined here: this may run with the GIL held.
        self.state.finished.store(true, Ordering::Relaxed);
        if let Some(id) = self.sig_id.take() {
            signal_hook::low_level::unregister(id);
        }
    }
}

fn tick_loop(s: &State) {
    let t0 = Instant::now();
    let mut printed = t0;
    while !s.finished.load(Ordering::Relaxed) {
        std::thread::sleep(CHECK_EVERY);
        if s.sigint.load(Ordering::Relaxed) && !interrupt::requested() {
            interrupt::request();
            if !s.quiet {
                say(&s.label, "Ctrl-C: saving a checkpoint and stopping");
            }
        }
        if !s.quiet && printed.elapsed() >= PRINT_EVERY && !s.finished.load(Ordering::Relaxed) {
            printed = Instant::now();
            let done = s.done.load(Ordering::Relaxed);
            let fresh = done - s.resumed.load(Ordering::Relaxed).min(done);
            let secs = t0.elapsed().as_secs_f64();
            let rate = fresh as f64 / secs.max(1e-9);
            let left = s.total.saturating_sub(done) as f64 / rate.max(1e-9);
            let phase = *s.phase.lock().unwrap_or_else(|e| e.into_inner());
            let phase = if phase.is_empty() {
                String::new()
            } else {
                format!("{phase}, ")
            };
            let eta = if fresh > 0 {
                format!(", about {left:.0} s left")
            } else {
                String::new()
            };
            say(
                &s.label,
                &format!(
                    "{phase}{done}/{} {} ({:.0} %), {secs:.0} s{eta}",
                    s.total,
                    s.unit,
                    100.0 * done as f64 / s.total.max(1) as f64
                ),
            );
        }
    }
}
