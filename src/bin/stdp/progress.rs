//! Progress of a long command: a bar with rate and ETA on a terminal, plain
//! lines in a log. Work restored from a checkpoint moves the position but not
//! the rate, so a resumed run shows the ETA of what is left at the speed this
//! process runs.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar counting `unit`s, hidden with `--quiet` (clones share it).
#[derive(Clone)]
pub(crate) struct Progress {
    bar: ProgressBar,
    /// When this process started counting.
    start: Instant,
    /// Units done by earlier processes (left out of the rate).
    restored: Arc<AtomicU64>,
}

impl Progress {
    /// A bar of `total` `unit`s. When stderr is not a terminal (a background
    /// run, a SLURM log) it prints a plain progress line instead, every
    /// `STDP_PROGRESS_SECS` seconds (default 60).
    pub(crate) fn new(total: u64, quiet: bool, unit: &str) -> Self {
        let progress = Progress {
            bar: ProgressBar::new(total),
            start: Instant::now(),
            restored: Arc::new(AtomicU64::new(0)),
        };
        let bar = &progress.bar;
        if quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else if !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            let every = std::env::var("STDP_PROGRESS_SECS")
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|&s| s > 0)
                .unwrap_or(60);
            log_progress(progress.clone(), unit.to_string(), every);
        }
        let template = format!(
            "{{msg:6}} {{bar:40}} {{human_pos}}/{{human_len}} {unit}  {{per_sec}}  ETA {{eta}}"
        );
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        progress
    }

    /// `k` more units done by this process.
    pub(crate) fn inc(&self, k: u64) {
        self.bar.inc(k);
    }

    /// `k` units done before this process started (restored from a
    /// checkpoint, or found complete): left out of the rate.
    pub(crate) fn resumed(&self, k: u64) {
        self.restored.fetch_add(k, Ordering::Relaxed);
        self.bar.inc(k);
        self.bar.reset_eta();
    }

    /// The bar, for its message, printing above it, and finishing.
    pub(crate) fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// `"<message> <pos>/<len> <unit> (<percent> %), <rate and ETA>"` at
    /// `now`, the rate counting the units done since `start`, not the
    /// restored ones.
    fn status_line(&self, unit: &str, now: Instant) -> String {
        let (pos, len) = (self.bar.position(), self.bar.length().unwrap_or(0));
        let done_here = pos.saturating_sub(self.restored.load(Ordering::Relaxed));
        let seconds = now.saturating_duration_since(self.start).as_secs_f64();
        let rate = if seconds > 0.0 {
            done_here as f64 / seconds
        } else {
            0.0
        };
        format!(
            "{} {pos}/{len} {unit} ({:.1} %), {}",
            self.bar.message(),
            100.0 * pos as f64 / len.max(1) as f64,
            rate_and_eta(rate, len.saturating_sub(pos), unit)
        )
    }
}

/// Prints `progress` to stderr every `every` seconds until its bar finishes.
/// Rate and ETA are averaged over the time this process has counted (not
/// indicatif's recent-rate estimate, which grows without bound while a
/// coarse unit such as a grid point makes no progress); until a unit
/// completes there is no ETA.
fn log_progress(progress: Progress, unit: String, every: u64) {
    std::thread::spawn(move || {
        loop {
            for _ in 0..every {
                std::thread::sleep(Duration::from_secs(1));
                if progress.bar.is_finished() {
                    return;
                }
            }
            eprintln!("{}", progress.status_line(&unit, Instant::now()));
        }
    });
}

/// `"<rate> <unit>/s, ETA <h>h<mm>m"`, or without an ETA while nothing has
/// completed (`rate` 0).
fn rate_and_eta(rate: f64, left: u64, unit: &str) -> String {
    if rate > 0.0 {
        let eta = (left as f64 / rate).round() as u64;
        format!(
            "{rate:.1} {unit}/s, ETA {}h{:02}m",
            eta / 3600,
            eta % 3600 / 60
        )
    } else {
        format!("no {unit} finished yet, no ETA")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_give_no_eta_before_the_first_unit_and_a_finite_one_after() {
        assert_eq!(
            rate_and_eta(0.0, 2, "points"),
            "no points finished yet, no ETA"
        );
        // 2 points left at one point per 10 minutes: 20 minutes.
        assert_eq!(
            rate_and_eta(1.0 / 600.0, 2, "points"),
            "0.0 points/s, ETA 0h20m"
        );
        assert_eq!(
            rate_and_eta(50.0, 180_000, "examples"),
            "50.0 examples/s, ETA 1h00m"
        );
    }

    #[test]
    fn a_resumed_run_counts_restored_work_in_its_position_but_not_its_rate() {
        let p = Progress::new(1000, true, "examples");
        p.resumed(800);
        p.inc(10);
        // 10 examples in 100 s since the restore: 0.1 per s; 190 left take
        // 1,900 s, 31 min 40 s (counting 800 restored ones would say 8.1 per s).
        let line = p.status_line("examples", p.start + Duration::from_secs(100));
        assert_eq!(
            line,
            " 810/1000 examples (81.0 %), 0.1 examples/s, ETA 0h31m"
        );
    }
}
