//! Grid files expand to the documented points, every point is a valid config
//! of its base experiment, and bad grids are errors that name the key.

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
