//! A branch-free `e^x` for `f32` that compilers vectorise (libm's `expf` does not).
//!
//! Cody–Waite range reduction `x = n·ln2 + r`, `|r| ≤ ln2/2`, then the degree-7
//! minimax-style polynomial of Cephes' `expf` for `e^r`, scaled by `2^n`
//! through the exponent bits. Relative error ≤ 2 ULP over the clamped domain
//! `[-87, 88]` (checked against `f64::exp` in the tests below), far inside the
//! golden tolerances of the rule; inputs outside are clamped (`e^-87 ≈ 1.6e-38`,
//! `e^88 ≈ 1.65e38`), and NaN propagates.

/// Lower end of the domain: `2^n` stays a normal number.
const X_MIN: f32 = -87.0;
/// Upper end of the domain: no overflow.
const X_MAX: f32 = 88.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// `1.5 · 2^23`: adding it rounds to the nearest integer in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// `ln 2` split into a part exact in few bits and the remainder (Cody–Waite).
const LN2_HI: f32 = 355.0 / 512.0;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes `expf` polynomial coefficients (S. L. Moshier, Cephes Math Library).
const P0: f32 = 1.987_569_1e-4;
const P1: f32 = 1.398_199_9e-3;
const P2: f32 = 8.333_452e-3;
const P3: f32 = 4.166_579_6e-2;
const P4: f32 = 1.666_666_5e-1;
const P5: f32 = 0.5;

/// `e^x`, vectorisable; see the module docs for accuracy and domain.
#[inline(always)]
pub fn exp_fast(x: f32) -> f32 {
    exp_with::<false>(x)
}

/// `e^x` with the polynomial and the range reduction in fused multiply-adds
/// when `FMA` (for code compiled with the `fma` target feature, where
/// `mul_add` is one instruction; elsewhere it would be a slow library call).
/// Both forms meet the accuracy in the module docs.
#[inline(always)]
pub fn exp_with<const FMA: bool>(x: f32) -> f32 {
    // NaN propagates through `r` (the integer path yields garbage that is
    // multiplied by NaN), so no explicit check is needed.
    let xc = x.clamp(X_MIN, X_MAX);
    let madd = |a: f32, b: f32, c: f32| if FMA { a.mul_add(b, c) } else { a * b + c };
    let t = madd(xc, LOG2E, ROUND_MAGIC);
    let n_bits = t.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    let n = t - ROUND_MAGIC;
    let r = if FMA {
        n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, xc))
    } else {
        xc - n * LN2_HI - n * LN2_LO
    };
    let p = madd(
        madd(madd(madd(madd(P0, r, P1), r, P2), r, P3), r, P4),
        r,
        P5,
    );
    let er = madd(p, r * r, r) + 1.0;
    er * f32::from_bits(((n_bits + 127) << 23) as u32)
}

#[cfg(test)]
mod tests {
    use super::exp_fast;

    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        let ulp = (f32::from_bits(w.to_bits() + 1) - w).abs() as f64;
        ((got as f64) - want).abs() / ulp
    }

    #[test]
    fn within_two_ulp_of_f64_exp_across_the_domain() {
        check_ulps(exp_fast);
        check_ulps(super::exp_with::<true>);
    }

    fn check_ulps(exp_fast: fn(f32) -> f32) {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for k in 0..=n {
            let x = -87.0 + 175.0 * (k as f32 / n as f32);
            worst = worst.max(ulps(exp_fast(x), (x as f64).exp()));
        }
        // The rule's arguments live in [-β·w_b, β·w_b]: check a fine grid there too.
        for k in 0..=n {
            let x = -10.0 + 20.0 * (k as f32 / n as f32);
            worst = worst.max(ulps(exp_fast(x), (x as f64).exp()));
        }
        assert!(worst <= 2.0, "worst error {worst} ULP");
    }

    #[test]
    fn exact_at_zero_clamped_outside_nan_propagates() {
        assert_eq!(exp_fast(0.0), 1.0);
        assert!(exp_fast(-1000.0) > 0.0 && exp_fast(-1000.0) < 1e-37);
        assert!(exp_fast(1000.0).is_finite());
        assert!(exp_fast(f32::NAN).is_nan());
    }
}
