//! Explicit parallelism for kernels: the caller says whether a call may fan out.

/// How a kernel may use threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Par {
    /// On the calling thread only (the right choice inside already-parallel work).
    #[default]
    Seq,
    /// Split over the current rayon pool (row blocks; results do not depend on the split).
    Rayon,
}

/// Layers from this size share each training step of a Diehl & Cook
/// network by column ranges; smaller ones train on one thread. Measured
/// (results/benchmarks.md): two threads pay at 6,400 neurons (1.25x per
/// training example) and cost at 1,600, where a step takes ~20 µs and the
/// per-step meeting of the threads outweighs the split.
pub const SPLIT_TRAINING_FROM: usize = 4096;

/// The threads a command may use, decided once from `--threads` (every
/// core when not given) and passed down; each kind of work asks it how to
/// use them. Results never depend on the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(usize);

impl Threads {
    /// From the `--threads` flag: at least 1, every core when `None`.
    pub fn from_flag(flag: Option<usize>) -> crate::Result<Self> {
        match flag {
            Some(0) => Err(crate::Error::InvalidParam {
                name: "--threads",
                value: "0".into(),
                expected: "at least 1",
            }),
            Some(n) => Ok(Threads(n)),
            None => Ok(Threads(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        }
    }

    /// `n` threads (at least one).
    pub fn new(n: usize) -> Self {
        Threads(n.max(1))
    }

    /// The count.
    pub fn get(self) -> usize {
        self.0
    }

    /// A Diehl & Cook run of `n_exc` neurons: (threads sharing each
    /// training step, threads running frozen blocks side by side).
    pub fn diehl_cook(self, n_exc: usize) -> (usize, usize) {
        let train = if n_exc >= SPLIT_TRAINING_FROM {
            self.0
        } else {
            1
        };
        (train, self.0)
    }

    /// The count shared by `jobs` jobs run side by side (grid points): one
    /// worker per job up to the count, the threads dealt out evenly (the
    /// first workers one more when the count does not divide). At least
    /// one worker, so that zero jobs still get one to report them.
    pub fn share(self, jobs: usize) -> Vec<usize> {
        let workers = self.0.min(jobs).max(1);
        (0..workers)
            .map(|i| self.0 / workers + usize::from(i < self.0 % workers))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_threads_is_refused_and_small_layers_train_on_one() {
        assert!(Threads::from_flag(Some(0)).is_err());
        assert!(Threads::from_flag(None).unwrap().get() >= 1);
        let t = Threads::from_flag(Some(2)).unwrap();
        assert_eq!(t.diehl_cook(1600), (1, 2));
        assert_eq!(t.diehl_cook(6400), (2, 2));
    }

    #[test]
    fn shares_give_every_thread_to_the_jobs_and_never_more_workers_than_jobs() {
        for n in 1..=9 {
            for jobs in 0..=12 {
                let s = Threads::new(n).share(jobs);
                assert_eq!(s.iter().sum::<usize>(), n, "{n} threads, {jobs} jobs");
                assert_eq!(s.len(), n.min(jobs).max(1), "{n} threads, {jobs} jobs");
                let (lo, hi) = (s.iter().min().unwrap(), s.iter().max().unwrap());
                assert!(*lo >= 1 && hi - lo <= 1, "{n} threads, {jobs} jobs: {s:?}");
            }
        }
        assert_eq!(Threads::new(2).share(1), vec![2]);
        assert_eq!(Threads::new(5).share(2), vec![3, 2]);
    }
}
