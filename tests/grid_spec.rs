//! Grid files expand to the documented points, every point is a valid config
//! of its base experiment, and bad grids are errors that name the key;
//! shards partition and balance the points; sbatch scripts fix the shard count.

use std::path::Path;

use stdp_harness::config::load_plan;
use stdp_harness::grid::load_grid;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn grid_smoke_expands_to_eleven_valid_points_in_a_stable_order() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/grid_smoke.toml");
    let g = load_grid(&path).unwrap();
    assert_eq!(g.points.len(), 11);
    assert!(g.base.ends_with("experiments/smoke.toml"));
    // Keys in order, the last key (seed) fastest.
    assert_eq!(
        g.points[0].set_args(),
        vec!["rule.eta=0.001", "rule.x_tar=0.5", "seed=0"]
    );
    assert_eq!(
        g.points[1].set_args(),
        vec!["rule.eta=0.001", "rule.x_tar=0.5", "seed=1"]
    );
    assert!(
        !g.points
            .iter()
            .any(|p| p.set_args() == vec!["rule.eta=0.004", "rule.x_tar=0.9", "seed=2"])
    );
    let mut hashes = std::collections::BTreeSet::new();
    for p in &g.points {
        let plan = load_plan(&g.base, &p.set_args()).unwrap();
        hashes.insert(plan.config_hash);
    }
    assert_eq!(hashes.len(), 11, "every point is a distinct config");
}

#[test]
fn zipped_keys_vary_together_and_ranges_step() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "g.toml",
        "base = \"b.toml\"\n[axes]\nseed = { range = [0, 10], step = 5 }\n[[zip]]\nkeys = [\"rule.exp_beta\", \"rule.a_minus\"]\nvalues = [[1.0, 0.0], [3.0, 0.5]]\n",
    );
    let g = load_grid(&f).unwrap();
    let args: Vec<Vec<String>> = g.points.iter().map(|p| p.set_args()).collect();
    assert_eq!(
        args,
        vec![
            vec!["seed=0", "rule.exp_beta=1.0", "rule.a_minus=0.0"],
            vec!["seed=0", "rule.exp_beta=3.0", "rule.a_minus=0.5"],
            vec!["seed=5", "rule.exp_beta=1.0", "rule.a_minus=0.0"],
            vec!["seed=5", "rule.exp_beta=3.0", "rule.a_minus=0.5"],
        ]
    );
}

#[test]
fn bad_grids_name_the_key() {
    let d = tempfile::tempdir().unwrap();
    for (text, key) in [
        (
            "base = \"b.toml\"\n[axes]\nseed = { range = [0, 3], step = 0 }\n",
            "axes.seed.step",
        ),
        (
            "base = \"b.toml\"\n[axes]\n\"rule.eta\" = []\n",
            "axes.rule.eta",
        ),
        (
            "base = \"b.toml\"\n[axes]\nx = { linspace = [0.0, 1.0, 0.5] }\n",
            "axes.x.linspace",
        ),
        (
            "base = \"b.toml\"\n[[zip]]\nkeys = [\"a\", \"b\"]\nvalues = [[1, 2], [3]]\n",
            "zip[0].values[1]",
        ),
        (
            "base = \"b.toml\"\n[axes]\na = [1]\n[[exclude]]\nb = 1\n",
            "exclude[0].b",
        ),
        (
            "base = \"b.toml\"\n[axes]\na = [1]\n[[exclude]]\na = 1\n",
            "exclude",
        ),
        ("base = \"b.toml\"\nbogus = 1\n", "line 2"),
    ] {
        let f = write(d.path(), "bad.toml", text);
        let e = load_grid(&f).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains(key), "{key}: {e}");
    }
}

fn point(index: usize, cost: f64) -> stdp_harness::grid::point::PlannedPoint {
    // Any valid experiment: sharding reads only the index and the cost.
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/smoke.toml");
    let experiment = stdp_harness::experiment::ExperimentKind::Run
        .load(&smoke, &[])
        .unwrap();
    stdp_harness::grid::point::PlannedPoint {
        index,
        id: format!("{index:016x}"),
        point: stdp_harness::grid::GridPoint { sets: Vec::new() },
        cost,
        experiment: std::sync::Arc::from(experiment),
    }
}

#[test]
fn shards_partition_the_points_round_robin_when_costs_are_equal() {
    use stdp_harness::grid::shard::{Shard, assign, points_of};
    let pts: Vec<_> = (0..10).map(|i| point(i, 1.0)).collect();
    assert_eq!(assign(&pts, 3), vec![0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    let mut seen = Vec::new();
    for s in 0..3 {
        seen.extend(
            points_of(&pts, Shard::new(s, 3).unwrap())
                .iter()
                .map(|p| p.index),
        );
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..10).collect::<Vec<_>>(),
        "every point in exactly one shard"
    );
}

#[test]
fn shards_balance_unequal_costs() {
    use stdp_harness::grid::shard::assign;
    // One long point and many short ones: the long one gets a shard to itself.
    let mut pts = vec![point(0, 8.0)];
    pts.extend((1..9).map(|i| point(i, 1.0)));
    let shard_of = assign(&pts, 2);
    let load = |s: usize| -> f64 {
        pts.iter()
            .zip(&shard_of)
            .filter(|(_, x)| **x == s)
            .map(|(p, _)| p.cost)
            .sum()
    };
    assert_eq!((load(0), load(1)), (8.0, 8.0));
    // Round-robin would have given 8 + 4 against 4.
}

#[test]
fn shard_specs_are_checked() {
    use stdp_harness::grid::shard::Shard;
    assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
    for bad in ["4/4", "0/0", "x/2", "1", "-1/2"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_shard_plan_sums_its_points_work_counts_complete_ones_done_and_shares_the_threads_among_the_rest()
 {
    use stdp_harness::grid::runner::{GridRunOptions, ShardPlan, run_shard};
    use stdp_harness::grid::shard::Shard;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let g =
        stdp_harness::grid::load_planned_grid(&root.join("experiments/grid_smoke.toml")).unwrap();
    // Every point of grid_smoke is a synapse batch of smoke.toml's steps
    // on each of its instances (the grid varies neither).
    let base: toml::Table = std::fs::read_to_string(root.join("experiments/smoke.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let steps = base["steps"].as_integer().unwrap() as u64;
    let instances = base["instances"].as_integer().unwrap() as u64;
    let d = tempfile::tempdir().unwrap();
    let opts = |shard: Shard, threads: usize| GridRunOptions {
        out: d.path().to_path_buf(),
        shard,
        threads,
        mnist_dir: d.path().to_path_buf(),
        command: String::new(),
        retry_failed: false,
    };
    let whole = ShardPlan::of(&g, &opts(Shard::ALL, 2));
    assert_eq!(whole.points, 11);
    assert_eq!((whole.work, whole.done), (11 * steps * instances, 0));
    assert_eq!(whole.unit, "steps");
    assert_eq!(whole.workers, vec![1, 1], "11 points on 2 threads");
    // A shard of one point gets every thread.
    let first = opts(Shard::new(0, 11).unwrap(), 3);
    let one = ShardPlan::of(&g, &first);
    assert_eq!((one.points, one.work, one.done), (1, steps * instances, 0));
    assert_eq!(one.workers, vec![3]);
    // Once that point is complete, it counts as done and takes no worker.
    let ran = run_shard(&g, &first, &one, &|_| {}).unwrap();
    assert_eq!(ran.done, 1);
    let again = ShardPlan::of(&g, &first);
    assert_eq!(
        (again.work, again.done),
        (steps * instances, steps * instances)
    );
    assert_eq!(
        again.workers,
        vec![3],
        "one worker to report the skipped point"
    );
    let rest = ShardPlan::of(&g, &opts(Shard::ALL, 2));
    assert_eq!((rest.work, rest.done), (whole.work, steps * instances));
    assert_eq!(rest.workers, vec![1, 1], "10 points left on 2 threads");
    let last = ShardPlan::of(&g, &opts(Shard::ALL, 20));
    assert_eq!(
        last.workers.len(),
        10,
        "one worker per point left: {last:?}"
    );
}

#[test]
fn sbatch_scripts_fix_the_shard_count_and_quote_paths() {
    use stdp_harness::grid::slurm::{SlurmJob, SlurmOptions, array_spec, sbatch_script};
    let job = SlurmJob {
        name: "stdp-g".into(),
        exe: "/opt/stdp/bin/stdp".into(),
        grid: "/home/me/my grids/g.toml".into(),
        out: "/scratch/out".into(),
        workdir: "/home/me".into(),
        mnist: None,
    };
    let o = SlurmOptions {
        tasks: 8,
        max_running: Some(2),
        partition: Some("short".into()),
        time: Some("01:00:00".into()),
        cpus: 2,
        grace: 90,
        max_requeues: 4,
        ..SlurmOptions::default()
    };
    let s = sbatch_script(&job, &o);
    assert!(s.starts_with("#!/bin/bash\n"));
    for line in [
        "#SBATCH --array=0-7%2",
        "#SBATCH --partition=short",
        "#SBATCH --time=01:00:00",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --output=/scratch/out/slurm/%A_%a.out",
        "--shard \"${SLURM_ARRAY_TASK_ID}/8\"",
        "'/home/me/my grids/g.toml'",
        "#SBATCH --signal=B:USR1@90",
        "#SBATCH --requeue",
        "trap 'requeue=1; [ -n \"$pid\" ] && kill -USR1 \"$pid\" 2>/dev/null' USR1",
        "trap '[ -n \"$pid\" ] && kill -TERM \"$pid\" 2>/dev/null' TERM",
        "if [ \"$status\" -eq 75 ] && [ \"$requeue\" -eq 1 ]; then",
        "-lt 4 ]",
        "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"",
    ] {
        assert!(s.contains(line), "missing {line:?} in\n{s}");
    }
    assert!(!s.contains("--mem"), "no option that was not given");
    assert_eq!(array_spec(&[1, 3, 4], None), "1,3,4");
    assert_eq!(array_spec(&[2, 3, 4], Some(1)), "2-4%1");
}
