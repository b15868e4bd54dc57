//! `ExpStdpSynapse`: the component around the rule, with ngclearn's compartments and verbs.
//!
//! Compartments `in`, `out`, `x_pre`, `x_post`; `advance_state` computes
//! `out = in · W`; `evolve` applies the rule with `pre = in` and `post = out`
//! (as the original component does); `reset` empties every compartment.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::distr::{Distribution, Uniform};
use rand_chacha::ChaCha8Rng;

use super::inputs::EvolveInputs;
use super::layer::compute_layer_into;
use super::params::ValidExpStdpParams;
use super::path::EvolvePath;
use super::rule::ExpStdp;
use crate::error::{Error, Result};
use crate::record::weights_file::{self, WEIGHTS_KEY};

/// The four compartments of the component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compartment {
    /// `in`: presynaptic activity `(B, n_in)`.
    In,
    /// `out`: the layer's output `in · W`, also the postsynaptic activity of the rule `(B, n_out)`.
    Out,
    /// `x_pre`: presynaptic traces `(B, n_in)`.
    XPre,
    /// `x_post`: postsynaptic traces `(B, n_out)`.
    XPost,
}

impl Compartment {
    /// The compartment's name, as ngclearn spells it.
    pub fn name(self) -> &'static str {
        match self {
            Compartment::In => "in",
            Compartment::Out => "out",
            Compartment::XPre => "x_pre",
            Compartment::XPost => "x_post",
        }
    }
}

/// Initial weights drawn uniformly from `[low, high)` with a seeded ChaCha8 stream.
///
/// The default range `(0.025, 0.8)` is the seed component's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UniformInit {
    /// Lower end of the range.
    pub low: f32,
    /// Upper end of the range (exclusive).
    pub high: f32,
    /// RNG seed.
    pub seed: u64,
}

impl UniformInit {
    /// The seed component's range `(0.025, 0.8)` with the given seed.
    pub fn seeded(seed: u64) -> Self {
        UniformInit {
            low: 0.025,
            high: 0.8,
            seed,
        }
    }

    /// Draws an `(n_in, n_out)` matrix, row-major order.
    pub fn sample(&self, n_in: usize, n_out: usize) -> Result<Array2<f32>> {
        let bad = |expected| Error::InvalidParam {
            name: "init",
            value: format!("({}, {})", self.low, self.high),
            expected,
        };
        if !(self.low.is_finite() && self.high.is_finite()) {
            return Err(bad("a finite range"));
        }
        let dist = Uniform::new(self.low, self.high).map_err(|_| bad("low < high"))?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        Ok(Array2::from_shape_simple_fn((n_in, n_out), || {
            dist.sample(&mut rng)
        }))
    }
}

/// The view of a compartment that `evolve` needs, or the error naming it.
fn need<'a>(
    component: &str,
    slot: &'a Option<Array2<f32>>,
    c: Compartment,
) -> Result<ArrayView2<'a, f32>> {
    slot.as_ref()
        .map(|a| a.view())
        .ok_or_else(|| Error::EmptyCompartment {
            component: component.to_owned(),
            compartment: c.name(),
            hint: "set in, x_pre, x_post and run advance_state before evolve",
        })
}

/// A plastic all-to-all synapse with the exponential weight-dependent STDP rule.
#[derive(Clone, Debug)]
pub struct ExpStdpSynapse {
    name: String,
    weights: Array2<f32>,
    input: Option<Array2<f32>>,
    out: Option<Array2<f32>>,
    x_pre: Option<Array2<f32>>,
    x_post: Option<Array2<f32>>,
    rule: ExpStdp,
}

impl ExpStdpSynapse {
    /// A synapse of shape `(n_in, n_out)` with weights drawn by `init`.
    pub fn new(
        name: impl Into<String>,
        shape: (usize, usize),
        params: ValidExpStdpParams,
        init: &UniformInit,
    ) -> Result<Self> {
        let weights = init.sample(shape.0, shape.1)?;
        Ok(Self::with_weights(name, weights, params))
    }

    /// A synapse with the given initial weights.
    pub fn with_weights(
        name: impl Into<String>,
        weights: Array2<f32>,
        params: ValidExpStdpParams,
    ) -> Self {
        ExpStdpSynapse {
            name: name.into(),
            weights,
            input: None,
            out: None,
            x_pre: None,
            x_post: None,
            rule: ExpStdp::new(params, None),
        }
    }

    /// The component's name (also the stem of its saved files).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule's parameters.
    pub fn params(&self) -> &ValidExpStdpParams {
        self.rule.params()
    }

    /// The weight matrix `W`, `(n_in, n_out)`.
    pub fn weights(&self) -> &Array2<f32> {
        &self.weights
    }

    /// `(n_in, n_out)`.
    pub fn shape(&self) -> (usize, usize) {
        self.weights.dim()
    }

    fn slot(&mut self, c: Compartment) -> &mut Option<Array2<f32>> {
        match c {
            Compartment::In => &mut self.input,
            Compartment::Out => &mut self.out,
            Compartment::XPre => &mut self.x_pre,
            Compartment::XPost => &mut self.x_post,
        }
    }

    /// The value of a compartment, `None` when empty.
    pub fn get(&self, c: Compartment) -> Option<&Array2<f32>> {
        match c {
            Compartment::In => self.input.as_ref(),
            Compartment::Out => self.out.as_ref(),
            Compartment::XPre => self.x_pre.as_ref(),
            Compartment::XPost => self.x_post.as_ref(),
        }
    }

    /// Sets a compartment. Its width must match `W` (`n_in` for `in`/`x_pre`,
    /// `n_out` for `out`/`x_post`); batch lengths are checked when they meet.
    pub fn set(&mut self, c: Compartment, value: Array2<f32>) -> Result<()> {
        let (n_in, n_out) = self.shape();
        let width = match c {
            Compartment::In | Compartment::XPre => n_in,
            Compartment::Out | Compartment::XPost => n_out,
        };
        if value.ncols() != width {
            return Err(Error::shape(
                format!("{}.{}", self.name, c.name()),
                &[value.nrows(), width],
                value.shape(),
            ));
        }
        *self.slot(c) = Some(value);
        Ok(())
    }

    fn require(&self, c: Compartment, hint: &'static str) -> Result<&Array2<f32>> {
        self.get(c).ok_or_else(|| Error::EmptyCompartment {
            component: self.name.clone(),
            compartment: c.name(),
            hint,
        })
    }

    /// Checks that the component is wired: its `in` compartment must have input.
    pub fn verify_connections(&self) -> Result<()> {
        self.require(Compartment::In, "connect an input before running")
            .map(|_| ())
    }

    /// `out = in · W` (through BLAS).
    pub fn advance_state(&mut self) -> Result<()> {
        let input = self.require(Compartment::In, "set `in` before advance_state")?;
        let mut out = Array2::zeros((input.nrows(), self.weights.ncols()));
        compute_layer_into(input.view(), self.weights.view(), &mut out.view_mut())?;
        self.out = Some(out);
        Ok(())
    }

    /// One update of the rule with `pre = in`, `post = out`, and the two trace
    /// compartments, by the path the inputs call for; returns that path.
    pub fn evolve(&mut self) -> Result<EvolvePath> {
        let inputs = EvolveInputs {
            pre: need(&self.name, &self.input, Compartment::In)?,
            x_pre: need(&self.name, &self.x_pre, Compartment::XPre)?,
            post: need(&self.name, &self.out, Compartment::Out)?,
            x_post: need(&self.name, &self.x_post, Compartment::XPost)?,
        };
        self.rule.evolve(&inputs, &mut self.weights.view_mut())
    }

    /// Empties every compartment (`in`, `out`, `x_pre`, `x_post`); weights stay.
    pub fn reset(&mut self) {
        self.input = None;
        self.out = None;
        self.x_pre = None;
        self.x_post = None;
    }

    /// The `.npz` path of this component in `dir`: `<dir>/<name>.npz`.
    pub fn npz_path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.npz", self.name))
    }

    /// The HDF5 path of this component in `dir`: `<dir>/<name>.h5`.
    pub fn hdf5_path(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.h5", self.name))
    }

    /// Saves the weights to `<dir>/<name>.npz`, key `weights` (what `numpy.load` reads).
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        let path = self.npz_path(dir);
        weights_file::write_npz(&path, WEIGHTS_KEY, self.weights.view())?;
        Ok(path)
    }

    /// Loads the weights from `<dir>/<name>.npz` (key `weights`); the shape must match.
    pub fn load(&mut self, dir: &Path) -> Result<()> {
        let path = self.npz_path(dir);
        let w = weights_file::read_npz(&path, WEIGHTS_KEY)?;
        self.replace_weights(w, &path)
    }

    /// Saves the weights to `<dir>/<name>.h5` (dataset `weights`, the rule's
    /// parameters as its attributes; `w_norm` is NaN when unset).
    pub fn save_hdf5(&self, dir: &Path) -> Result<PathBuf> {
        let path = self.hdf5_path(dir);
        let p = self.rule.params().get();
        let attrs = p.named().map(|(k, v)| (k, f64::from(v)));
        weights_file::write_hdf5(&path, self.weights.view(), &attrs)?;
        Ok(path)
    }

    /// Loads the weights from `<dir>/<name>.h5`; the shape must match.
    pub fn load_hdf5(&mut self, dir: &Path) -> Result<()> {
        let path = self.hdf5_path(dir);
        let w = weights_file::read_hdf5(&path)?;
        self.replace_weights(w, &path)
    }

    fn replace_weights(&mut self, w: Array2<f32>, path: &Path) -> Result<()> {
        self.assign_weights(w.view(), &format!("weights in {}", path.display()))
    }

    /// Copies `w` into the weight matrix (same shape; `what` names it in the
    /// error). The matrix keeps its buffer, so a view of it taken before
    /// (e.g. a NumPy array sharing its memory) stays valid and sees the new
    /// values; the rule is told that every weight may have changed.
    pub fn assign_weights(&mut self, w: ArrayView2<f32>, what: &str) -> Result<()> {
        if w.dim() != self.weights.dim() {
            return Err(Error::shape(what, self.weights.shape(), w.shape()));
        }
        self.weights.assign(&w);
        self.rule.weights_replaced();
        Ok(())
    }
}
