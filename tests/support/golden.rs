//! Loading the golden `.npz` cases of the ExpSTDPSynapse rule (format: tests/golden/expstdp/README.md).

use std::path::{Path, PathBuf};

use ndarray::{Array0, Array2, ArrayD, ArrayView2, Axis, Ix2};
use ndarray_npy::NpzReader;
use stdp_harness::synapse::exp_stdp::{EvolveInputs, ExpStdpParams, ValidExpStdpParams};

/// The golden directory: `EXPSTDP_GOLDEN_DIR` when set, else the vendored copy.
pub fn golden_dir() -> PathBuf {
    match std::env::var_os("EXPSTDP_GOLDEN_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/expstdp"),
    }
}

/// One case: inputs as `(K, B, n)` stacks (K = 1 for single-step files).
pub struct Case {
    pub name: String,
    pub pre: ArrayD<f32>,
    pub x_pre: ArrayD<f32>,
    pub post: ArrayD<f32>,
    pub x_post: ArrayD<f32>,
    pub w: Array2<f32>,
    pub w_next: Array2<f32>,
    pub out: ArrayD<f32>,
    pub w_traj: Option<ArrayD<f32>>,
    pub params: ValidExpStdpParams,
    pub steps: usize,
    pub atol_w: f32,
    pub atol_out: f32,
}

impl Case {
    /// The inputs of step `t`.
    pub fn inputs(&self, t: usize) -> EvolveInputs<'_> {
        EvolveInputs {
            pre: step(&self.pre, t),
            x_pre: step(&self.x_pre, t),
            post: step(&self.post, t),
            x_post: step(&self.x_post, t),
        }
    }

    /// `out` of step `t`, `(B, n_out)`.
    pub fn out_at(&self, t: usize) -> ArrayView2<'_, f32> {
        step(&self.out, t)
    }
}

/// Step `t` of a `(K, B, n)` stack.
fn step(a: &ArrayD<f32>, t: usize) -> ArrayView2<'_, f32> {
    a.index_axis(Axis(0), t)
        .into_dimensionality::<Ix2>()
        .expect("(B, n) per step")
}

fn scalar(npz: &mut NpzReader<std::fs::File>, key: &str, path: &Path) -> f64 {
    let a: Array0<f64> = npz
        .by_name(key)
        .unwrap_or_else(|e| panic!("{}: scalar `{key}`: {e}", path.display()));
    a.into_scalar()
}

fn stacked(a: ArrayD<f32>, steps: usize) -> ArrayD<f32> {
    if steps == 1 && a.ndim() == 2 {
        a.insert_axis(Axis(0))
    } else {
        a
    }
}

/// Reads one case file.
pub fn load_case(path: &Path) -> Case {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut npz = NpzReader::new(f).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let names = npz.names().expect("member names");
    let has = |k: &str| names.iter().any(|n| n == k || n == &format!("{k}.npy"));
    let steps = scalar(&mut npz, "steps", path) as usize;
    let mut arr = |k: &str| -> ArrayD<f32> {
        npz.by_name(k)
            .unwrap_or_else(|e| panic!("{}: `{k}`: {e}", path.display()))
    };
    let pre = stacked(arr("pre"), steps);
    let x_pre = stacked(arr("x_pre"), steps);
    let post = stacked(arr("post"), steps);
    let x_post = stacked(arr("x_post"), steps);
    let out = stacked(arr("out"), steps);
    let w = arr("W").into_dimensionality::<Ix2>().expect("W is 2-D");
    let w_next = arr("W_next")
        .into_dimensionality::<Ix2>()
        .expect("W_next is 2-D");
    let w_traj = has("W_traj").then(|| arr("W_traj"));
    let w_norm = scalar(&mut npz, "w_norm", path);
    let params = ExpStdpParams {
        w_bound: scalar(&mut npz, "w_bound", path) as f32,
        eta: scalar(&mut npz, "eta", path) as f32,
        x_tar: scalar(&mut npz, "x_tar", path) as f32,
        exp_beta: scalar(&mut npz, "exp_beta", path) as f32,
        a_plus: scalar(&mut npz, "Aplus", path) as f32,
        a_minus: scalar(&mut npz, "Aminus", path) as f32,
        w_norm: (!w_norm.is_nan()).then_some(w_norm as f32),
    }
    .check()
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Case {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        pre,
        x_pre,
        post,
        x_post,
        w,
        w_next,
        out,
        w_traj,
        params,
        steps,
        atol_w: scalar(&mut npz, "atol_W", path) as f32,
        atol_out: scalar(&mut npz, "atol_out", path) as f32,
    }
}

/// Every `.npz` in the golden directory, sorted by name.
pub fn case_files() -> Vec<PathBuf> {
    let dir = golden_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("golden directory {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "npz"))
        .collect();
    files.sort();
    files
}

/// Largest elementwise absolute difference.
pub fn max_abs_diff<'a>(
    a: impl IntoIterator<Item = &'a f32>,
    b: impl IntoIterator<Item = &'a f32>,
) -> f32 {
    let (a, b): (Vec<f32>, Vec<f32>) = (
        a.into_iter().copied().collect(),
        b.into_iter().copied().collect(),
    );
    assert_eq!(
        a.len(),
        b.len(),
        "compared arrays differ in size: a mismatch of shapes, not of values"
    );
    a.iter()
        .zip(&b)
        .map(|(x, y)| {
            let d = (x - y).abs();
            if d.is_nan() { f32::INFINITY } else { d }
        })
        .fold(0.0, f32::max)
}
