//! Conductance-based leaky integrate-and-fire populations (Diehl & Cook 2015).
//!
//! Membrane: `τ_m dv/dt = (v_rest − v) + ge·(E_exc − v) + gi·(E_inh − v)`;
//! conductances decay, `dge/dt = −ge/τ_ge`, `dgi/dt = −gi/τ_gi`, and an
//! incoming spike adds its weight to `ge` or `gi`. Units: mV and ms;
//! conductances are dimensionless (in units of the leak conductance).
//!
//! Integration follows the original Brian 1 code: forward Euler at `dt`
//! (the model is nonlinear in `v·g`, for which Brian 1 used Euler), state
//! update first, then threshold and reset; during the refractory period `v`
//! is held at `v_reset` while the other variables keep evolving.
//!
//! Excitatory neurons add an adaptive threshold `θ` (spike when
//! `v > θ − θ_offset + v_thresh`, `θ += θ_plus` per spike, `dθ/dt = −θ/τ_θ`,
//! frozen when not learning) and, as in the original code, a `timer` that
//! grows at 0.1 ms per ms, is zeroed by a spike and must exceed 5 ms before
//! the next spike — a 50 ms lock-out on top of the 5 ms refractory period.

/// Parameters of one population.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifParams {
    /// Resting potential, mV.
    pub v_rest: f32,
    /// Reset potential, mV.
    pub v_reset: f32,
    /// Threshold, mV.
    pub v_thresh: f32,
    /// Membrane time constant, ms.
    pub tau_m: f32,
    /// Excitatory reversal potential, mV.
    pub e_exc: f32,
    /// Inhibitory reversal potential, mV.
    pub e_inh: f32,
    /// Excitatory conductance time constant, ms.
    pub tau_ge: f32,
    /// Inhibitory conductance time constant, ms.
    pub tau_gi: f32,
    /// Refractory period, ms.
    pub refrac_ms: f32,
    /// Initial membrane potential, mV (`v_rest − 40` in the original).
    pub v_init: f32,
}

impl LifParams {
    /// Excitatory neurons of Diehl & Cook (2015): rest/reset −65, threshold −52,
    /// τ_m 100 ms, E_exc 0, E_inh −100 mV, refractory 5 ms.
    pub const DC_EXCITATORY: LifParams = LifParams {
        v_rest: -65.0,
        v_reset: -65.0,
        v_thresh: -52.0,
        tau_m: 100.0,
        e_exc: 0.0,
        e_inh: -100.0,
        tau_ge: 1.0,
        tau_gi: 2.0,
        refrac_ms: 5.0,
        v_init: -105.0,
    };

    /// Inhibitory neurons of Diehl & Cook (2015): rest −60, reset −45,
    /// threshold −40, τ_m 10 ms, E_exc 0, E_inh −85 mV, refractory 2 ms.
    pub const DC_INHIBITORY: LifParams = LifParams {
        v_rest: -60.0,
        v_reset: -45.0,
        v_thresh: -40.0,
        tau_m: 10.0,
        e_exc: 0.0,
        e_inh: -85.0,
        tau_ge: 1.0,
        tau_gi: 2.0,
        refrac_ms: 2.0,
        v_init: -100.0,
    };
}

/// The adaptive threshold of excitatory neurons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveThreshold {
    /// Initial θ, mV (20 in the original when training from scratch).
    pub theta_init: f32,
    /// Increment per spike, mV.
    pub theta_plus: f32,
    /// Decay time constant, ms.
    pub tau_theta: f32,
    /// Subtracted from θ in the threshold, mV.
    pub offset: f32,
    /// Growth of the spike timer, ms per ms (0.1 in the original code).
    pub timer_rate: f32,
    /// The timer must exceed this before a spike, ms (5 in the original code).
    pub timer_lockout: f32,
}

impl AdaptiveThreshold {
    /// The original code's values: θ₀ 20 mV, +0.05 mV, τ_θ 1e7 ms, offset
    /// 20 mV, timer at 0.1 ms/ms against 5 ms.
    pub const DC: AdaptiveThreshold = AdaptiveThreshold {
        theta_init: 20.0,
        theta_plus: 0.05,
        tau_theta: 1e7,
        offset: 20.0,
        timer_rate: 0.1,
        timer_lockout: 5.0,
    };
}

/// State of a population of `n` neurons.
#[derive(Clone, Debug)]
pub struct LifPopulation {
    /// Parameters.
    pub params: LifParams,
    /// Adaptive threshold, for excitatory populations.
    pub adaptive: Option<AdaptiveThreshold>,
    /// Membrane potentials, mV.
    pub v: Vec<f32>,
    /// Excitatory conductances.
    pub ge: Vec<f32>,
    /// Inhibitory conductances.
    pub gi: Vec<f32>,
    /// Adaptive thresholds θ, mV (zero without adaptation).
    pub theta: Vec<f32>,
    /// Spike timers, ms.
    pub timer: Vec<f32>,
    /// Refractory time left, ms.
    pub refractory: Vec<f32>,
}

/// One Euler step of the membrane and conductances of every neuron; `v` is
/// held at `v_reset` while refractory. Vectorised (see [`crate::dispatch`]).
#[inline(always)]
fn integrate_body<const FMA: bool>(
    v: &mut [f32],
    ge: &mut [f32],
    gi: &mut [f32],
    refr: &mut [f32],
    p: &LifParams,
    dt: f32,
) {
    let (kge, kgi) = (1.0 - dt / p.tau_ge, 1.0 - dt / p.tau_gi);
    let k_m = dt / p.tau_m;
    let n = v.len();
    let (ge, gi, refr) = (&mut ge[..n], &mut gi[..n], &mut refr[..n]);
    for k in 0..n {
        let dv = (p.v_rest - v[k]) + ge[k] * (p.e_exc - v[k]) + gi[k] * (p.e_inh - v[k]);
        v[k] = if refr[k] <= 0.0 {
            v[k] + k_m * dv
        } else {
            p.v_reset
        };
        ge[k] *= kge;
        gi[k] *= kgi;
        refr[k] -= dt;
    }
}

crate::dispatch!(fn integrate(v: &mut [f32], ge: &mut [f32], gi: &mut [f32], refr: &mut [f32], p: &LifParams, dt: f32) => integrate_body);

impl LifPopulation {
    /// `n` neurons at `v_init`, conductances zero, θ at its initial value,
    /// timers at 0 (as in the original: no excitatory spike in the first 50 ms).
    pub fn new(n: usize, params: LifParams, adaptive: Option<AdaptiveThreshold>) -> Self {
        let theta0 = adaptive.map_or(0.0, |a| a.theta_init);
        let timer0 = 0.0;
        LifPopulation {
            params,
            adaptive,
            v: vec![params.v_init; n],
            ge: vec![0.0; n],
            gi: vec![0.0; n],
            theta: vec![theta0; n],
            timer: vec![timer0; n],
            refractory: vec![0.0; n],
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Advances one step of `dt` ms and appends the indices of the neurons
    /// that spiked to `spikes`. `learning` lets θ decay and grow.
    pub fn step(&mut self, dt: f32, learning: bool, spikes: &mut Vec<u32>) {
        let p = self.params;
        let n = self.v.len();
        integrate(
            &mut self.v,
            &mut self.ge,
            &mut self.gi,
            &mut self.refractory,
            &p,
            dt,
        );
        let (v, refr) = (&mut self.v[..n], &mut self.refractory[..n]);
        match self.adaptive {
            Some(a) => {
                let k_theta = if learning {
                    1.0 - dt / a.tau_theta
                } else {
                    1.0
                };
                let (theta, timer) = (&mut self.theta[..n], &mut self.timer[..n]);
                for k in 0..n {
                    theta[k] *= k_theta;
                    timer[k] += dt * a.timer_rate;
                    if v[k] > theta[k] - a.offset + p.v_thresh && timer[k] > a.timer_lockout {
                        spikes.push(k as u32);
                        v[k] = p.v_reset;
                        refr[k] = p.refrac_ms;
                        timer[k] = 0.0;
                        if learning {
                            theta[k] += a.theta_plus;
                        }
                    }
                }
            }
            None => {
                for k in 0..n {
                    if v[k] > p.v_thresh {
                        spikes.push(k as u32);
                        v[k] = p.v_reset;
                        refr[k] = p.refrac_ms;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_input_the_membrane_relaxes_to_rest_without_spiking() {
        let mut pop = LifPopulation::new(3, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
        let mut spikes = Vec::new();
        for _ in 0..20_000 {
            pop.step(0.5, true, &mut spikes);
        }
        assert!(spikes.is_empty());
        // 10 s = 100 τ_m: at rest to float precision.
        assert!(
            pop.v.iter().all(|&v| (v + 65.0).abs() < 1e-3),
            "{:?}",
            pop.v
        );
    }

    #[test]
    fn euler_step_matches_the_equation() {
        let mut pop = LifPopulation::new(1, LifParams::DC_INHIBITORY, None);
        pop.v[0] = -50.0;
        pop.ge[0] = 0.2;
        pop.gi[0] = 0.1;
        pop.step(0.5, false, &mut Vec::new());
        let dv = (-60.0 + 50.0) + 0.2 * (0.0 + 50.0) + 0.1 * (-85.0 + 50.0);
        assert!((pop.v[0] - (-50.0 + 0.05 * dv)).abs() < 1e-5);
        assert!(
            (pop.ge[0] - 0.1).abs() < 1e-7,
            "τ_ge = 1 ms at dt 0.5: halves"
        );
        assert!((pop.gi[0] - 0.075).abs() < 1e-7);
    }

    #[test]
    fn strong_drive_fires_then_refractory_and_timer_lock_out_hold() {
        // Excitatory neuron: spikes, is held at reset for 5 ms, and cannot
        // spike again before its timer passes 5 ms (50 ms of simulated time).
        let mut pop = LifPopulation::new(1, LifParams::DC_EXCITATORY, Some(AdaptiveThreshold::DC));
        pop.v[0] = -65.0;
        let mut times = Vec::new();
        for t in 0..400 {
            pop.ge[0] = 5.0; // clamp a strong drive
            let mut s = Vec::new();
            pop.step(0.5, true, &mut s);
            if !s.is_empty() {
                times.push(t);
            }
        }
        assert!(times.len() >= 2, "{times:?}");
        let gaps: Vec<i32> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|&g| g >= 100),
            "at least 50 ms (100 steps) apart: {gaps:?}"
        );
        let expected_theta = 20.0 * (1.0 - 0.5f32 / 1e7).powi(400) + 0.05 * times.len() as f32;
        assert!(
            (pop.theta[0] - expected_theta).abs() < 1e-3,
            "θ grows 0.05 mV per spike"
        );
    }
}
