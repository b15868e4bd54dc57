//! Reusable scratch buffers for the fast update paths, so a step allocates nothing.

/// Scratch space for [`evolve_fused`](super::fused::evolve_fused) and
/// [`evolve_events`](super::events::evolve_events); grows to the largest shape seen.
#[derive(Clone, Debug, Default)]
pub struct EvolveWorkspace {
    pub(crate) pot: Vec<f32>,
    pub(crate) dep: Vec<f32>,
    pub(crate) q: Vec<f32>,
    pub(crate) cols: Vec<usize>,
    pub(crate) rows: Vec<usize>,
    pub(crate) gather_b: Vec<f32>,
    pub(crate) in_cols: Vec<bool>,
}

impl EvolveWorkspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Resizes `v` to `n` elements (contents unspecified) and returns it as a slice.
pub(crate) fn sized(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    v.resize(n, 0.0);
    &mut v[..n]
}
