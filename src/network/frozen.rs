//! Frozen presentations (labelling and testing) in parallel.
//!
//! With plasticity off nothing that one presentation leaves behind matters
//! to the weights or θ, which stay as training left them; what carries over
//! from one example to the next is the neurons' residual state after the
//! 150 ms rest and, with [`CountWindow::Original`](super::diehl_cook::CountWindow),
//! the spikes of that rest. A frozen phase is therefore cut into **blocks**
//! of consecutive examples: each block starts from the network's state at
//! the start of the phase, with nothing carried, exactly as the first example
//! of a phase does (each phase of the original code is a run of its own);
//! within a block every example follows the previous one as before. Each
//! presentation draws its spike trains from its own random stream, a
//! function of (seed, phase, repeat, example) only ([`frozen_stream`]).
//! So the results depend on the block length (a setting of the run,
//! `frozen_block`) but not on how many threads run the blocks, nor on
//! which thread runs which, nor on where a run was stopped and resumed.

use std::sync::atomic::{AtomicBool, Ordering};

use super::diehl_cook::{DcStats, DiehlCook, Presentation};
use crate::error::Result;

/// The frozen phases, as they name their random streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrozenPhase {
    /// Responses to training images, for the neurons' labels.
    Label,
    /// Responses to the evaluated images.
    Test,
}

/// The random stream of one frozen presentation: example `index` of
/// `repeat` in `phase` (streams 0 and 1 of the seed draw the weights,
/// training spike trains and delays; these are disjoint from both).
pub fn frozen_stream(phase: FrozenPhase, repeat: u32, index: u32) -> u64 {
    let tag: u64 = match phase {
        FrozenPhase::Label => 1,
        FrozenPhase::Test => 2,
    };
    (1 << 63) | (tag << 56) | (u64::from(repeat) << 32) | u64::from(index)
}

/// One presentation of a block: the image and its random stream.
#[derive(Clone, Copy, Debug)]
pub struct FrozenJob<'a> {
    /// Pixels.
    pub image: &'a [u8],
    /// [`frozen_stream`] of the presentation.
    pub stream: u64,
}

/// One round of a frozen phase: up to `threads` blocks of at most `block`
/// consecutive presentations, from flat index `from` on, none reaching
/// `end` and none across a multiple of `period` (a phase shown `repeats`
/// times has `period` = the images per repeat, `end` = `repeats * period`),
/// presentation `e` made by `job(e)`. Returns the blocks and the index
/// after the round's last presentation. A phase run round after round
/// from 0 cuts its blocks at the same places whatever `threads` is and
/// wherever it was stopped, since rounds end on block boundaries.
pub fn frozen_round<'a>(
    from: usize,
    end: usize,
    period: usize,
    block: usize,
    threads: usize,
    job: impl Fn(usize) -> FrozenJob<'a>,
) -> (Vec<Vec<FrozenJob<'a>>>, usize) {
    let (period, block) = (period.max(1), block.max(1));
    let mut blocks = Vec::new();
    let mut to = from;
    while blocks.len() < threads.max(1) && to < end {
        let stop = (to + block).min(end).min((to / period + 1) * period);
        blocks.push((to..stop).map(&job).collect());
        to = stop;
    }
    (blocks, to)
}

/// A [`frozen_round`] of the test phase: `repeats` showings of `m` images,
/// presentation `e` being image `e % m` (`image(k)` its pixels) of repeat
/// `e / m`, each with its [`frozen_stream`]. The run's test phase and
/// `stdp eval` cut their presentations here, so that the second
/// reproduces the first.
pub fn test_round<'a>(
    from: usize,
    repeats: usize,
    m: usize,
    block: usize,
    threads: usize,
    image: impl Fn(usize) -> &'a [u8],
) -> (Vec<Vec<FrozenJob<'a>>>, usize) {
    frozen_round(from, repeats * m, m, block, threads, |e| FrozenJob {
        image: image(e % m),
        stream: frozen_stream(FrozenPhase::Test, (e / m) as u32, (e % m) as u32),
    })
}

/// What one thread did: (block index, its presentations, its counters).
type Done = Vec<(usize, Vec<Presentation>, DcStats)>;

impl DiehlCook {
    /// Runs the frozen presentations of `blocks`, each block from the
    /// network's current state with nothing carried, on up to `threads`
    /// threads (this one and copies of the network; see the module docs),
    /// and returns each block's presentations in order; the network's state
    /// is left as it was, its counters advanced by every block's steps.
    /// `stop` is polled before each presentation: once it returns true the
    /// work is abandoned and `None` returned (the state still as it was).
    /// `done(k)` reports `k` more presentations finished.
    pub fn present_frozen_blocks(
        &mut self,
        blocks: &[Vec<FrozenJob>],
        threads: usize,
        stop: &(dyn Fn() -> bool + Sync),
        done: &(dyn Fn(u64) + Sync),
    ) -> Result<Option<Vec<Vec<Presentation>>>> {
        let start = self.frozen_state();
        let k = threads.clamp(1, blocks.len().max(1));
        let abandoned = AtomicBool::new(false);
        let run = |net: &mut DiehlCook, first: usize| -> Result<Done> {
            let mut out = Vec::new();
            for b in (first..blocks.len()).step_by(k) {
                net.restore_frozen_state(&start);
                net.start_phase();
                let before = net.swap_stats(DcStats::default());
                let mut shown = Vec::with_capacity(blocks[b].len());
                for job in &blocks[b] {
                    if abandoned.load(Ordering::Relaxed) || stop() {
                        abandoned.store(true, Ordering::Relaxed);
                        net.swap_stats(before);
                        return Ok(out);
                    }
                    shown.push(net.present_on_stream(job.image, job.stream)?);
                    done(1);
                }
                let stats = net.swap_stats(before);
                out.push((b, shown, stats));
            }
            Ok(out)
        };
        let results: Vec<Result<Done>> = if k == 1 {
            vec![run(self, 0)]
        } else {
            // One column range per thread while the blocks run side by side.
            let ranges = self.threads();
            self.set_threads(1);
            let mut copies: Vec<DiehlCook> = (1..k).map(|_| self.frozen_copy()).collect();
            let results = std::thread::scope(|scope| {
                let handles: Vec<_> = copies
                    .iter_mut()
                    .enumerate()
                    .map(|(c, net)| {
                        let run = &run;
                        scope.spawn(move || run(net, c + 1))
                    })
                    .collect();
                let mut results = vec![run(self, 0)];
                for h in handles {
                    results.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
                }
                results
            });
            self.set_threads(ranges);
            results
        };
        self.restore_frozen_state(&start);
        let mut by_block: Vec<Option<(Vec<Presentation>, DcStats)>> =
            (0..blocks.len()).map(|_| None).collect();
        for r in results {
            for (b, shown, stats) in r? {
                by_block[b] = Some((shown, stats));
            }
        }
        if abandoned.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(blocks.len());
        let mut total = self.swap_stats(DcStats::default());
        for (shown, stats) in by_block.into_iter().flatten() {
            total.steps += stats.steps;
            total.overshoot_steps += stats.overshoot_steps;
            total.max_exc_spikes_in_step = total
                .max_exc_spikes_in_step
                .max(stats.max_exc_spikes_in_step);
            out.push(shown);
        }
        self.swap_stats(total);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(
        from: usize,
        end: usize,
        period: usize,
        block: usize,
        threads: usize,
    ) -> Vec<Vec<usize>> {
        let (blocks, to) = frozen_round(from, end, period, block, threads, |e| FrozenJob {
            image: &[],
            stream: e as u64,
        });
        let ranges: Vec<Vec<usize>> = blocks
            .iter()
            .map(|b| b.iter().map(|j| j.stream as usize).collect())
            .collect();
        assert_eq!(to, ranges.last().map_or(from, |b| b.last().unwrap() + 1));
        ranges
    }

    #[test]
    fn rounds_cut_blocks_at_repeats_and_stop_at_the_end() {
        // 2 repeats of 10 images, blocks of 4, 3 threads.
        assert_eq!(
            cut(0, 20, 10, 4, 3),
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
        );
        assert_eq!(
            cut(10, 20, 10, 4, 3),
            vec![vec![10, 11, 12, 13], vec![14, 15, 16, 17], vec![18, 19]]
        );
        // A round may hold blocks of two repeats, never one block across them.
        assert_eq!(cut(8, 20, 10, 4, 2), vec![vec![8, 9], vec![10, 11, 12, 13]]);
        assert_eq!(cut(20, 20, 10, 4, 2), Vec::<Vec<usize>>::new());
    }

    #[test]
    fn blocks_do_not_depend_on_the_threads_per_round() {
        let all = |threads: usize| {
            let mut from = 0;
            let mut out = Vec::new();
            while from < 23 {
                let b = cut(from, 23, 23, 5, threads);
                from = b.last().unwrap().last().unwrap() + 1;
                out.extend(b);
            }
            out
        };
        assert_eq!(all(1), all(2));
        assert_eq!(all(1), all(7));
    }
}
