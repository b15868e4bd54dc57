//! Stepping many independent instances in parallel: a rayon pool and the
//! loop that advances every instance to a step.

use rayon::prelude::*;

use super::instance::Instance;
use crate::config::Plan;
use crate::error::Result;

/// A rayon pool of `threads` workers for [`step_instances`]; also sets
/// OpenBLAS to one thread, so that the two never compete for the cores.
pub fn worker_pool(threads: usize) -> std::result::Result<rayon::ThreadPool, String> {
    crate::blas::set_num_threads(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| format!("cannot start {threads} worker threads: {e}"))
}

/// Advances every instance to step `until`, instances in parallel on `pool`.
pub fn step_instances(
    plan: &Plan,
    instances: &mut [Instance],
    until: usize,
    pool: &rayon::ThreadPool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    pool.install(|| {
        instances
            .par_iter_mut()
            .try_for_each(|inst| inst.run_until(plan, until, progress))
    })
}
