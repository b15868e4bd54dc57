//! `make bench-record`: appends criterion's latest estimates of every bench
//! id to `results/bench/history.csv` under the current commit (replacing
//! that commit's earlier rows), with the date, CPU model, toolchain and SIMD
//! path, and redraws one figure per bench group in `results/bench/`.
//!
//!     cargo run --release --example bench_record [-- CRITERION_DIR [HISTORY_CSV]]
//!     cargo run --release --example bench_record -- --draw [HISTORY_CSV]   # figures only
//!
//! Run it right after `cargo bench`: it records what criterion measured last.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
#[path = "../dev/bench_history.rs"]
mod bench_history;
use bench_history::{
    Provenance, append, draw_history, read_criterion, read_history, write_history,
};

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(cmd).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--draw") {
        let history = args
            .get(1)
            .map_or_else(|| PathBuf::from("results/bench/history.csv"), PathBuf::from);
        let rows = read_history(&history)?;
        let dir = history.parent().unwrap_or(Path::new("."));
        for f in draw_history(dir, &rows)? {
            println!("drew {}", f.display());
        }
        return Ok(());
    }
    let criterion = args.first().map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        Path::new(&target).join("criterion")
    });
    let history = args
        .get(1)
        .map_or_else(|| PathBuf::from("results/bench/history.csv"), PathBuf::from);
    if !criterion.is_dir() {
        bail!(
            "{}: no criterion results (run `cargo bench` first)",
            criterion.display()
        );
    }
    let new = read_criterion(&criterion)?;
    if new.is_empty() {
        bail!("{}: no bench estimates found", criterion.display());
    }
    let commit = output("git", &["rev-parse", "--short", "HEAD"]).context("git rev-parse")?;
    let dirty = output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    let prov = Provenance {
        commit: if dirty {
            format!("{commit}-dirty")
        } else {
            commit
        },
        date: output("date", &["-u", "+%Y-%m-%d %H:%M:%S"]).unwrap_or_default(),
        cpu: stdp_harness::record::machine::cpu_model(),
        toolchain: output("rustc", &["-V"]).unwrap_or_else(|| "unknown".into()),
        simd: stdp_harness::math::simd::simd_path().into(),
    };
    let rows = append(&read_history(&history)?, &prov, &new);
    write_history(&history, &rows)?;
    let dir = history.parent().unwrap_or(Path::new("."));
    let figures = draw_history(dir, &rows)?;
    println!(
        "recorded {} bench ids under {} in {} ({} rows); figures: {}",
        new.len(),
        prov.commit,
        history.display(),
        rows.len(),
        figures
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
