//! Grid test helpers: small grids over the smoke experiment, the `stdp`
//! binary, and a comparison of two merged grid directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;
use stdp_harness::grid::merge::TIMING_COLUMNS;
use stdp_harness::record::frame::read_parquet;
use stdp_harness::record::h5::open_file;

/// Writes `<dir>/grid.toml`: the smoke experiment with `steps` steps and a
/// checkpoint every `checkpoint_every`, over `rule.eta` x `seed`.
pub fn smoke_grid(dir: &Path, steps: usize, checkpoint_every: usize, seeds: usize) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
    let text = format!(
        "base = {base:?}\n[fixed]\nsteps = {steps}\n\"record.checkpoint_every\" = {checkpoint_every}\n\
         \"record.snapshot_stride\" = 0\n\"record.csv\" = false\n\
         [axes]\n\"rule.eta\" = [1e-3, 4e-3]\nseed = {{ range = [0, {seeds}] }}\n"
    );
    let p = dir.join("grid.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The `stdp` binary with `args` and extra environment variables.
pub fn stdp_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stdp"));
    c.args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Runs `stdp args`, asserting success; returns stdout.
pub fn stdp_ok(args: &[&str]) -> String {
    let out = stdp_env(args, &[]);
    assert!(
        out.status.success(),
        "stdp {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `grid.parquet` of a merged directory without the timing columns.
pub fn merged_table(dir: &Path) -> DataFrame {
    let df = read_parquet(&dir.join("grid.parquet")).unwrap();
    let keep: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|n| !TIMING_COLUMNS.contains(&n.as_str()))
        .collect();
    df.select(keep).unwrap()
}

/// The final weights of every point of a merged `grid.h5`, by id, as bit patterns.
pub fn merged_weights(dir: &Path) -> Vec<(String, Vec<u32>)> {
    let f = open_file(&dir.join("grid.h5")).unwrap();
    let points = f.group("points").unwrap();
    let mut ids = points.member_names().unwrap();
    ids.sort();
    ids.into_iter()
        .map(|id| {
            let w = points
                .group(&id)
                .unwrap()
                .dataset("weights")
                .unwrap()
                .read_raw::<f32>()
                .unwrap();
            (id, w.iter().map(|x| x.to_bits()).collect())
        })
        .collect()
}

/// Asserts that two merged grids hold the same points, metrics and weights
/// (bit for bit), timing columns aside.
pub fn assert_same_merge(a: &Path, b: &Path) {
    let (ta, tb) = (merged_table(a), merged_table(b));
    assert_eq!(ta.height(), tb.height());
    assert!(ta.equals_missing(&tb), "tables differ:\n{ta}\n{tb}");
    let (wa, wb) = (merged_weights(a), merged_weights(b));
    assert_eq!(wa.len(), ta.height());
    assert!(wa == wb, "final weights differ");
}
