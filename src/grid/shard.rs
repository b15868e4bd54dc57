//! Shards: which points of a grid one invocation (one SLURM array task) runs.
//!
//! Points are dealt to shards by estimated cost, longest first, each to the
//! shard with the least work so far (the LPT rule of Graham, 1969), ties to
//! the lower shard; with equal costs this is round-robin. The assignment
//! depends only on the points and the shard count, so every task of an
//! array computes the same split without talking to the others.

use crate::error::{Error, Result};

use super::point::PlannedPoint;

/// Shard `index` of `count` (`0 <= index < count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole grid as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (e.g. `2/8`).
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: shard index `{i}` is not a whole number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: shard count `{n}` is not a whole number"))?;
        Shard::new(index, count)
    }

    /// Checks `index < count` and `count >= 1`.
    pub fn new(index: usize, count: usize) -> std::result::Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: expected an index from 0 to count - 1"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard given by SLURM's `SLURM_ARRAY_TASK_ID` and
    /// `SLURM_ARRAY_TASK_COUNT`, when both are set; `None` outside an array job.
    pub fn from_slurm_env() -> Result<Option<Shard>> {
        let get = |k: &str| std::env::var(k).ok();
        match (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT")) {
            (Some(i), Some(n)) => {
                let bad = |m: String| Error::Config {
                    file: "environment".into(),
                    key: "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT".into(),
                    message: format!("{m}; pass --shard I/N explicitly"),
                };
                Shard::parse(&format!("{i}/{n}")).map(Some).map_err(bad)
            }
            _ => Ok(None),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard of every point (`result[k]` for `points[k]`), balanced by cost.
pub fn assign(points: &[PlannedPoint], count: usize) -> Vec<usize> {
    let count = count.max(1);
    let mut order: Vec<usize> = (0..points.len()).collect();
    // Longest first; equal costs keep grid order (a stable sort).
    order.sort_by(|&a, &b| points[b].cost.total_cmp(&points[a].cost));
    let mut load = vec![0.0f64; count];
    let mut shard_of = vec![0; points.len()];
    for k in order {
        let s = (0..count)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[s] += points[k].cost;
        shard_of[k] = s;
    }
    shard_of
}

/// The points of `shard`, in grid order.
pub fn points_of(points: &[PlannedPoint], shard: Shard) -> Vec<&PlannedPoint> {
    let shard_of = assign(points, shard.count);
    points
        .iter()
        .zip(shard_of)
        .filter(|(_, s)| *s == shard.index)
        .map(|(p, _)| p)
        .collect()
}
