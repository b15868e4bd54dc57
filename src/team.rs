//! A team of worker threads for fork-join work that repeats every few
//! microseconds (one network step): the workers spin between jobs instead
//! of sleeping, so that a job starts within a fraction of a microsecond, and
//! park only after a while without work (between examples, at checkpoints).
//!
//! A general pool (rayon) parks its idle threads and wakes them through the
//! kernel, tens of microseconds per wake-up on a virtual machine: as long as
//! a whole step of a 6400-neuron network. [`Team::run`] is a scoped
//! broadcast: `f(0)` on the calling thread, `f(1)` … `f(k − 1)` on the
//! workers, and it returns once all have finished.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(200);

/// The job of one [`Team::run`], as a type-erased pointer.
type Job = dyn Fn(usize) + Sync;

/// What the calling thread and the workers share.
struct Shared {
    /// Incremented by each `run`; a worker runs the job once per epoch.
    epoch: AtomicU64,
    /// The current job (`*const Job` as a thin pointer to a fat one).
    job: AtomicPtr<&'static Job>,
    /// Workers done with the current epoch.
    done: AtomicUsize,
    /// A worker's job panicked in this epoch.
    panicked: AtomicBool,
    /// Workers parked (or about to park) on `wake`.
    sleepers: AtomicUsize,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// `k − 1` worker threads plus the caller (see the module docs).
pub struct Team {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Team({} threads)", self.size())
    }
}

impl Team {
    /// A team of `k` threads: the caller and `k − 1` workers (none for `k ≤ 1`).
    pub fn new(k: usize) -> Self {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let workers = (1..k.max(1))
            .map(|index| {
                let s = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("stdp-team-{index}"))
                    .spawn(move || worker(&s, index))
                    .expect("spawning a worker thread")
            })
            .collect();
        Team { shared, workers }
    }

    /// Threads of the team, the caller included.
    pub fn size(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(i)` for every `i` in `0..size()`, `f(0)` on the calling
    /// thread, and returns when all have returned (a panic in any of them is
    /// raised here, after all have finished).
    pub fn run<F: Fn(usize) + Sync>(&self, f: F) {
        if self.workers.is_empty() {
            f(0);
            return;
        }
        let s = &*self.shared;
        let job: &(dyn Fn(usize) + Sync + '_) = &f;
        // SAFETY: the workers only call the job of the current epoch, and
        // this function does not return (not even by unwinding) before every
        // worker has reported it done, so `f` outlives every use.
        let job: &'static Job =
            unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync + '_), &'static Job>(job) };
        let slot: &&'static Job = &job;
        s.job.store(
            slot as *const &'static Job as *mut &'static Job,
            Ordering::Release,
        );
        s.done.store(0, Ordering::Relaxed);
        // SeqCst on both sides (here: bump, then read `sleepers`; a parking
        // worker: count itself, then read `epoch`) so that one of the two sees
        // the other: no wake-up is lost.
        s.epoch.fetch_add(1, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        let mine = catch_unwind(AssertUnwindSafe(|| f(0)));
        let mut spins = 0u32;
        while s.done.load(Ordering::Acquire) < self.workers.len() {
            pause(&mut spins);
        }
        s.job.store(std::ptr::null_mut(), Ordering::Release);
        if let Err(p) = mine {
            resume_unwind(p);
        }
        if s.panicked.swap(false, Ordering::AcqRel) {
            panic!("a team worker panicked");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.shutdown.store(true, Ordering::Release);
        s.epoch.fetch_add(1, Ordering::AcqRel);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// One round of waiting: a CPU pause, and every 64th round a yield of the
/// thread, so that a team with more threads than free cores (other work on
/// the machine, tests running side by side) still makes progress.
fn pause(spins: &mut u32) {
    *spins = spins.wrapping_add(1);
    if spins.is_multiple_of(64) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

fn worker(s: &Shared, index: usize) {
    let mut seen = 0u64;
    loop {
        // Wait for the next epoch: spin, then park.
        let start = Instant::now();
        let mut spins = 0u32;
        let epoch = loop {
            let e = s.epoch.load(Ordering::Acquire);
            if e != seen {
                break e;
            }
            if spins % 1024 == 1023 && start.elapsed() > SPIN {
                let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
                s.sleepers.fetch_add(1, Ordering::SeqCst);
                while s.epoch.load(Ordering::SeqCst) == seen {
                    g = s.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                }
                s.sleepers.fetch_sub(1, Ordering::AcqRel);
            } else {
                pause(&mut spins);
            }
        };
        seen = epoch;
        if s.shutdown.load(Ordering::Acquire) {
            return;
        }
        let slot = s.job.load(Ordering::Acquire);
        // SAFETY: `run` published the job before bumping the epoch and keeps
        // it alive until this worker increments `done`.
        let job: &Job = unsafe { *slot };
        if catch_unwind(AssertUnwindSafe(|| job(index))).is_err() {
            s.panicked.store(true, Ordering::Release);
        }
        s.done.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_runs_once_per_call_and_the_call_waits_for_all() {
        let team = Team::new(3);
        let hits: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..1000 {
            team.run(|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
        }
        for h in &hits {
            assert_eq!(h.load(Ordering::Relaxed), 1000);
        }
        // After a pause long enough for the workers to park, they still wake.
        std::thread::sleep(Duration::from_millis(5));
        let sum = AtomicUsize::new(0);
        team.run(|i| {
            sum.fetch_add(i + 1, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller_and_the_team_goes_on() {
        let team = Team::new(2);
        let r = catch_unwind(AssertUnwindSafe(|| {
            team.run(|i| assert!(i != 1, "worker 1 fails"));
        }));
        assert!(r.is_err());
        let count = AtomicUsize::new(0);
        team.run(|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }
}
