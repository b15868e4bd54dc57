//! `stdp grid`, `stdp merge`, `stdp report` on small grids: shards (given or
//! from SLURM's variables) cover the grid and merge to the same results as
//! one local run; a killed grid, run again, finishes only what is missing;
//! merge refuses an incomplete grid and names the missing points; reports
//! group seeds correctly, best first; bad grids fail before anything runs.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use polars::prelude::*;
use support::grid::{assert_same_merge, smoke_grid, stdp_env, stdp_ok};

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn shards_from_slurm_variables_merge_to_the_same_results_as_one_local_run() {
    let d = tempfile::tempdir().unwrap();
    // experiments/grid_smoke.toml: 11 points (2 eta x 2 x_tar x 3 seeds, one excluded).
    let g = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/grid_smoke.toml");
    let g = g.to_str().unwrap();
    let local = d.path().join("local");
    let sharded = d.path().join("sharded");
    let out = stdp_ok(&[
        "grid",
        g,
        "--out",
        local.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert!(
        out.contains("11 run, 0 already complete, 0 failed"),
        "{out}"
    );

    // Equal costs: round-robin, 4 + 4 + 3 points.
    for (i, n) in [(0, 4), (1, 4), (2, 3)] {
        let o = stdp_env(
            &[
                "grid",
                g,
                "--out",
                sharded.to_str().unwrap(),
                "--threads",
                "1",
            ],
            &[
                ("SLURM_ARRAY_TASK_ID", &i.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("shard {i}/3: {n} of 11 points")),
            "{}",
            text(&o)
        );
        if i == 1 {
            // Two of three shards done: the merge refuses and names what is missing.
            let m = stdp_env(&["merge", sharded.to_str().unwrap()], &[]);
            assert!(!m.status.success());
            let err = text(&m);
            assert!(err.contains("3 of 11 points are not complete"), "{err}");
            assert!(
                err.contains("[not started]") && err.contains("seed="),
                "{err}"
            );
            assert!(!err.contains("panicked"), "{err}");
            assert!(!sharded.join("grid.parquet").exists());
        }
    }
    stdp_ok(&["merge", local.to_str().unwrap()]);
    stdp_ok(&["merge", sharded.to_str().unwrap()]);
    assert_same_merge(&local, &sharded);

    // Everything is complete: a re-run runs nothing.
    let again = stdp_ok(&["grid", g, "--out", local.to_str().unwrap()]);
    assert!(again.contains("0 run, 11 already complete"), "{again}");

    // The report: seeds grouped per (eta, x_tar), mean and sample std, best first.
    let rep = stdp_ok(&["report", local.to_str().unwrap(), "--metric", "w_mean"]);
    assert!(rep.contains("w_mean by rule.eta, rule.x_tar"), "{rep}");
    let table = support::grid::merged_table(&local);
    let col = |c: &str| table.column(c).unwrap().f64().unwrap().clone();
    let (etas, tars, vals) = (col("rule.eta"), col("rule.x_tar"), col("w_mean"));
    let mut expected: Vec<(f64, f64, usize, f64, f64)> = Vec::new();
    for eta in [1e-3, 4e-3] {
        for tar in [0.5, 0.9] {
            let v: Vec<f64> = (0..table.height())
                .filter(|&i| etas.get(i) == Some(eta) && tars.get(i) == Some(tar))
                .map(|i| vals.get(i).unwrap())
                .collect();
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            expected.push((eta, tar, v.len(), mean, std));
        }
    }
    expected.sort_by(|a, b| b.3.total_cmp(&a.3));
    assert_eq!(
        expected.iter().map(|e| e.2).sum::<usize>(),
        11,
        "the excluded point is in no group"
    );
    let csv = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(local.join("report_w_mean.csv")))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(csv.height(), 4);
    for (row, (eta, tar, n, mean, std)) in expected.iter().enumerate() {
        let get = |c: &str| {
            csv.column(c)
                .unwrap()
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .get(row)
                .unwrap()
        };
        assert_eq!(
            (get("rule.eta"), get("rule.x_tar")),
            (*eta, *tar),
            "row {row}"
        );
        assert_eq!(get("n"), *n as f64);
        assert!((get("w_mean_mean") - mean).abs() <= 1e-12 * mean.abs().max(1.0));
        assert!((get("w_mean_std") - std).abs() <= 1e-9 * std.max(1e-12) + 1e-15);
    }
    let png = std::fs::read(local.join("report_w_mean_vs_rule_eta.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
#[ignore = "needs Python with h5py and polars ($STDP_PYTHON); `make test` runs it"]
fn python_reads_a_merged_grid() {
    support::python::require(&["h5py", "polars"]);
    let d = tempfile::tempdir().unwrap();
    let g = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/grid_smoke.toml");
    let local = d.path().join("local");
    let l = local.to_str().unwrap();
    stdp_ok(&["grid", g.to_str().unwrap(), "--out", l, "--threads", "2"]);
    stdp_ok(&["merge", l]);
    let script = "import sys, h5py, polars as pl\n\
        d = sys.argv[1]\n\
        t = pl.read_parquet(d + '/grid.parquet')\n\
        f = h5py.File(d + '/grid.h5', 'r')\n\
        assert f.attrs['complete'] == 1\n\
        ids = [s.decode() if isinstance(s, bytes) else s for s in f['table/id'][:]]\n\
        assert ids == t['id'].to_list(), (ids, t['id'].to_list())\n\
        w = f['points/' + ids[0] + '/weights']\n\
        print(t.height, w.shape)\n";
    let printed = support::python::run(script, &local);
    assert_eq!(printed.trim(), "11 (4, 784, 100)");
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn points_with(dir: &Path, file: &str) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir.join("points")) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join(file).exists())
        .collect()
}

#[test]
fn a_grid_killed_with_minus_nine_finishes_only_what_is_missing() {
    let d = tempfile::tempdir().unwrap();
    let g = smoke_grid(d.path(), 3000, 300, 2);
    let g = g.to_str().unwrap();
    let killed = d.path().join("killed");
    let reference = d.path().join("reference");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stdp"))
        .args([
            "grid",
            g,
            "--out",
            killed.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once one point is complete and the next one has a checkpoint.
    wait_for(
        "a complete point and a checkpoint",
        Duration::from_secs(120),
        || {
            let done = points_with(&killed, "result.h5");
            !done.is_empty()
                && points_with(&killed, "checkpoint.h5")
                    .iter()
                    .any(|p| !done.contains(p))
        },
    );
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let done: Vec<_> = points_with(&killed, "result.h5");
    assert!(done.len() < 4, "killed before the end");
    let stamps: Vec<_> = done
        .iter()
        .map(|p| {
            std::fs::metadata(p.join("result.h5"))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();

    let out = stdp_ok(&[
        "grid",
        g,
        "--out",
        killed.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert!(
        out.contains(&format!("{} already complete", done.len())),
        "{out}"
    );
    assert!(out.contains("(resumed from a checkpoint)"), "{out}");
    for (p, t) in done.iter().zip(&stamps) {
        let now = std::fs::metadata(p.join("result.h5"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(now, *t, "a complete point was run again: {}", p.display());
    }
    stdp_ok(&[
        "grid",
        g,
        "--out",
        reference.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    stdp_ok(&["merge", killed.to_str().unwrap()]);
    stdp_ok(&["merge", reference.to_str().unwrap()]);
    assert_same_merge(&killed, &reference);
}

/// A grid over `experiments/diehl_cook_quick.toml` at 10 neurons in
/// `dir/dc.toml`; `body` is the rest of `[fixed]` and the axes.
fn tiny_dc_grid(dir: &Path, body: &str) -> std::path::PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/diehl_cook_quick.toml");
    let g = dir.join("dc.toml");
    std::fs::write(&g, format!("base = {base:?}\n[fixed]\nn_exc = 10\n{body}")).unwrap();
    g
}

/// A point directory's `summary.json`.
fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn diehl_cook_grids_merge_accuracy_and_weights_per_point() {
    let d = tempfile::tempdir().unwrap();
    let g = tiny_dc_grid(
        d.path(),
        "train_examples = 30\nlabel_examples = 20\ntest_examples = 20\nmonitor_every = 10\n\
         [axes]\nrule = [\"dc_original\", \"exp_stdp\"]\n",
    );
    let out = d.path().join("out");
    stdp_ok(&["grid", g.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    stdp_ok(&["merge", out.to_str().unwrap()]);
    let t = support::grid::merged_table(&out);
    assert_eq!(t.height(), 2);
    let rules = t.column("rule").unwrap().str().unwrap().clone();
    let acc = t.column("accuracy_percent").unwrap().f64().unwrap().clone();
    let ids = t.column("id").unwrap().str().unwrap().clone();
    for i in 0..2 {
        let dir = out.join("points").join(ids.get(i).unwrap());
        let s = summary(&dir);
        assert_eq!(s["rule"].as_str(), rules.get(i));
        assert_eq!(s["accuracy_percent"].as_f64(), acc.get(i));
    }
    let w = support::grid::merged_weights(&out);
    assert!(w.iter().all(|(_, w)| w.len() == 784 * 10));
    let rep = stdp_ok(&["report", out.to_str().unwrap()]);
    assert!(rep.contains("accuracy_percent by rule"), "{rep}");
}

#[test]
fn a_shard_with_fewer_points_left_than_threads_gives_each_point_several() {
    let d = tempfile::tempdir().unwrap();
    let g = tiny_dc_grid(
        d.path(),
        "train_examples = 20\nlabel_examples = 20\ntest_examples = 20\nmonitor_every = 10\n\
         [axes]\nseed = [0, 1]\n",
    );
    let (g, out) = (g.to_str().unwrap(), d.path().join("out"));
    let o = out.to_str().unwrap();
    let first = stdp_ok(&["grid", g, "--out", o, "--shard", "0/2", "--threads", "1"]);
    assert!(first.contains("1 at a time, threads 1,"), "{first}");
    // Shard 0 is complete: the whole grid has one point left for two threads.
    let rest = stdp_ok(&["grid", g, "--out", o, "--threads", "2"]);
    assert!(rest.contains("1 at a time, threads 2,"), "{rest}");
    let mut frozen: Vec<u64> = points_with(&out, "summary.json")
        .iter()
        .map(|dir| summary(dir)["frozen_threads"].as_u64().unwrap())
        .collect();
    frozen.sort();
    assert_eq!(frozen, vec![1, 2]);
}

#[test]
fn a_grid_of_long_points_reports_progress_in_examples_with_an_eta_before_any_point_ends() {
    let d = tempfile::tempdir().unwrap();
    // One point of 1,700 examples: a few seconds, several progress lines.
    let g = tiny_dc_grid(
        d.path(),
        "train_examples = 1500\nlabel_examples = 100\ntest_examples = 100\nmonitor_every = 500\n",
    );
    let out = d.path().join("out");
    let (g, o) = (g.to_str().unwrap(), out.to_str().unwrap());
    let r = stdp_env(
        &["grid", g, "--out", o, "--threads", "1"],
        &[("STDP_PROGRESS_SECS", "1")],
    );
    let log = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{}", text(&r));
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("/1700 examples ("))
        .collect();
    assert!(!lines.is_empty(), "no progress line in examples:\n{log}");
    assert!(
        lines.iter().any(|l| l.contains("examples/s, ETA ")),
        "no rate and ETA while the point ran:\n{log}"
    );
}

#[test]
fn bad_grids_fail_before_anything_runs_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
    let out = d.path().join("out");
    let cases: [(&str, &[&str]); 5] = [
        (
            "[axes]\n\"rule.etaa\" = [1e-3]\n",
            &["axes.rule.etaa", "etaa"],
        ),
        (
            "[axes]\n\"rule.eta\" = [1e-3, -1.0]\n",
            &["axes.rule.eta = -1", "eta"],
        ),
        ("[fixed]\nsteps = \"many\"\n", &["fixed.steps"]),
        (
            "[axes]\nseed = { range = [0, 3], step = 0 }\n",
            &["axes.seed.step"],
        ),
        (
            "[axes]\nseed = [1, 1]\n",
            &["point 1", "the same config as point 0"],
        ),
    ];
    for (body, needles) in cases {
        let g = d.path().join("g.toml");
        std::fs::write(&g, format!("base = {base:?}\n{body}")).unwrap();
        let o = stdp_env(
            &["grid", g.to_str().unwrap(), "--out", out.to_str().unwrap()],
            &[],
        );
        let err = text(&o);
        assert!(!o.status.success(), "{body}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("g.toml"), "{body}: {err}");
        for n in needles {
            assert!(
                err.contains(n),
                "{body}: error does not mention {n:?}: {err}"
            );
        }
        assert!(!out.exists(), "{body}: wrote output before failing");
    }
    let g = d.path().join("missing_base.toml");
    std::fs::write(&g, "base = \"nowhere.toml\"\n").unwrap();
    let err = text(&stdp_env(&["grid", g.to_str().unwrap()], &[]));
    assert!(
        err.contains("`base`") && err.contains("nowhere.toml"),
        "{err}"
    );
    let g = smoke_grid(d.path(), 10, 0, 1);
    for shard in ["3/3", "a/2", "1"] {
        let o = stdp_env(&["grid", g.to_str().unwrap(), "--shard", shard], &[]);
        assert!(!o.status.success());
        assert!(text(&o).contains("--shard"), "{}", text(&o));
    }
    let o = stdp_env(
        &["grid", g.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("SLURM_ARRAY_TASK_ID"), "{}", text(&o));
    let err = text(&stdp_env(&["report", d.path().to_str().unwrap()], &[]));
    assert!(err.contains("grid.json"), "{err}");
}

#[test]
fn a_failed_point_is_kept_named_by_merge_and_status_and_run_again_on_request() {
    let d = tempfile::tempdir().unwrap();
    let g = smoke_grid(d.path(), 200, 0, 2);
    let g = g.to_str().unwrap();
    let out = d.path().join("out");
    let o = out.to_str().unwrap();
    // A point that fails at run time: its directory holds a broken result file.
    let listed = stdp_ok(&["grid", g, "--out", o, "--list"]);
    let id = listed
        .lines()
        .find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.first() == Some(&"2")).then(|| w[1].to_string())
        })
        .unwrap_or_else(|| panic!("no point 2 in {listed}"));
    let broken = out.join("points").join(&id);
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("result.h5"), b"not hdf5").unwrap();
    let r = stdp_env(&["grid", g, "--out", o, "--threads", "2"], &[]);
    assert!(!r.status.success());
    assert!(
        text(&r).contains("3 run, 0 already complete, 1 failed"),
        "{}",
        text(&r)
    );
    assert!(
        broken.join("FAILED").exists(),
        "the error is kept with the point"
    );
    // merge names it as failed, status counts it and shows its error.
    let m = text(&stdp_env(&["merge", o], &[]));
    assert!(
        m.contains("FAILED in its last run") && m.contains(&id),
        "{m}"
    );
    let st = stdp_ok(&["status", o]);
    assert!(
        st.contains("3 complete, 0 checkpointed, 0 not started, 1 failed"),
        "{st}"
    );
    assert!(st.contains("unreadable or incomplete result file"), "{st}");
    let v: serde_json::Value = serde_json::from_str(&stdp_ok(&["status", o, "--json"])).unwrap();
    assert_eq!(v["failed"], 1);
    assert_eq!(v["points"][2]["state"], "failed");
    // Run again without --retry-failed: still failed, not run.
    std::fs::remove_file(broken.join("result.h5")).unwrap();
    let r = stdp_env(&["grid", g, "--out", o], &[]);
    assert!(!r.status.success());
    assert!(text(&r).contains("--retry-failed"), "{}", text(&r));
    assert!(
        !broken.join("result.h5").exists(),
        "a failed point is not run again unasked"
    );
    // With it, the point runs and the grid is complete.
    let r = stdp_ok(&["grid", g, "--out", o, "--retry-failed"]);
    assert!(r.contains("1 run, 3 already complete, 0 failed"), "{r}");
    assert!(!broken.join("FAILED").exists());
    let st = stdp_ok(&["status", o]);
    assert!(
        st.contains("4 complete, 0 checkpointed, 0 not started, 0 failed"),
        "{st}"
    );
    assert!(st.contains("work left: 0 s"), "{st}");
    stdp_ok(&["merge", o]);
}
