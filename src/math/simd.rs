//! Runtime selection of a vector instruction set for hot loops.
//!
//! A kernel body is written once as an `#[inline(always)]` function of plain
//! slices, generic over `const FMA: bool`; `dispatch!` compiles it three
//! times — `body::<false>` for the baseline target, `body::<true>` with
//! AVX2+FMA enabled, and `body::<true>` with AVX-512 (F, BW, DQ, VL) enabled
//! as well — and runs the widest copy the CPU supports ([`SimdLevel`]). The
//! only arithmetic difference between the copies is the fused multiply-adds
//! inside [`exp_with`](super::expf::exp_with), which the AVX2 and AVX-512
//! copies share: those two give bitwise the same results (the compiler does
//! not reorder float operations), the baseline copy agrees with them to a
//! few ULP, and every copy is bitwise reproducible on one machine whatever
//! the thread count.
//!
//! The environment variable `STDP_SIMD` caps the level (read once):
//! `baseline`, `avx2` or `avx512`; a level the CPU lacks falls back to the
//! widest one it has. This is how the tests run every copy on one machine.

/// The instruction sets the kernels are compiled for, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// The portable copy (x86-64 baseline SSE2, or any other target).
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F, BW, DQ and VL (with AVX2 and FMA).
    Avx512,
}

impl SimdLevel {
    /// Its name in `STDP_SIMD` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Baseline => "baseline",
            SimdLevel::Avx2 => "avx2+fma",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The level a `STDP_SIMD` value asks for (`None`: not a level).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "baseline" => Some(SimdLevel::Baseline),
            "avx2" | "avx2+fma" => Some(SimdLevel::Avx2),
            "avx512" => Some(SimdLevel::Avx512),
            _ => None,
        }
    }

    /// The widest level this CPU supports.
    pub fn detected() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma");
            if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") {
                return SimdLevel::Avx512;
            }
            if avx2 {
                return SimdLevel::Avx2;
            }
        }
        SimdLevel::Baseline
    }
}

/// The level the kernels run at: the CPU's widest, capped by `STDP_SIMD`
/// when it names a level (read once; any other value is ignored here and
/// reported by the `stdp` binary).
#[inline]
pub fn simd_level() -> SimdLevel {
    static LEVEL: std::sync::OnceLock<SimdLevel> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = std::env::var("STDP_SIMD")
            .ok()
            .and_then(|v| SimdLevel::parse(&v))
            .unwrap_or(SimdLevel::Avx512);
        SimdLevel::detected().min(cap)
    })
}

/// Whether the AVX2 (or a wider) copy of the kernels runs.
#[inline]
pub fn has_avx2() -> bool {
    simd_level() >= SimdLevel::Avx2
}

/// The instruction set the kernels run with: `avx512`, `avx2+fma` or `baseline`.
pub fn simd_path() -> &'static str {
    simd_level().name()
}

/// Defines `fn $name(args) -> ret` that runs `$body::<true>` (an
/// `#[inline(always)]` function generic over `const FMA: bool`, taking the
/// same arguments) compiled for AVX-512 or AVX2+FMA, or `$body::<false>`,
/// as [`simd_level`] says.
macro_rules! dispatch {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                    $body::<true>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
                unsafe fn widest($($arg: $ty),*) $(-> $ret)? {
                    $body::<true>($($arg),*)
                }
                match $crate::math::simd::simd_level() {
                    // SAFETY: the CPU supports these features (`SimdLevel::detected`).
                    $crate::math::simd::SimdLevel::Avx512 => return unsafe { widest($($arg),*) },
                    // SAFETY: the CPU supports AVX2 and FMA.
                    $crate::math::simd::SimdLevel::Avx2 => return unsafe { wide($($arg),*) },
                    $crate::math::simd::SimdLevel::Baseline => {}
                }
            }
            $body::<false>($($arg),*)
        }
    };
}

pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_by_name_and_order_by_width() {
        for l in [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512] {
            assert_eq!(SimdLevel::parse(l.name()), Some(l));
        }
        assert_eq!(SimdLevel::parse("avx2"), Some(SimdLevel::Avx2));
        assert_eq!(SimdLevel::parse("sse9"), None);
        assert!(SimdLevel::Baseline < SimdLevel::Avx2 && SimdLevel::Avx2 < SimdLevel::Avx512);
        assert!(simd_level() <= SimdLevel::detected());
    }
}
