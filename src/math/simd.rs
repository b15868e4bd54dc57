//! Runtime selection of a vector instruction set for hot loops.
//!
//! A kernel body is written once as an `#[inline(always)]` function of plain
//! slices, generic over `const FMA: bool`; `dispatch!`
//! compiles it twice — `body::<false>` for the baseline target and
//! `body::<true>` with AVX2+FMA enabled — and picks the second when the CPU has
//! it. The only arithmetic difference is the fused multiply-adds inside
//! [`exp_with`](super::expf::exp_with), so results are bitwise reproducible on
//! one machine (whatever the thread count) and agree to a few ULP across
//! machines.

/// Whether the AVX2 copy of the kernels may run: the CPU has AVX2 and FMA,
/// and the environment variable `STDP_SIMD` is not `baseline` (read once;
/// `STDP_SIMD=baseline` runs the portable copies on any machine, which is how
/// the tests check them on machines with AVX2).
#[inline]
pub fn has_avx2() -> bool {
    static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WIDE.get_or_init(|| {
        let forced_baseline = std::env::var("STDP_SIMD").is_ok_and(|v| v == "baseline");
        !forced_baseline && cpu_has_avx2()
    })
}

/// Whether the CPU has AVX2 and FMA.
fn cpu_has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The instruction set the kernels run with: `avx2+fma` or `baseline`.
pub fn simd_path() -> &'static str {
    if has_avx2() { "avx2+fma" } else { "baseline" }
}

/// Defines `fn $name(args) -> ret` that runs `$body::<true>` (an
/// `#[inline(always)]` function generic over `const FMA: bool`, taking the same
/// arguments) compiled for AVX2+FMA when available, else `$body::<false>`.
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
                if $crate::math::simd::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            $body::<false>($($arg),*)
        }
    };
}

pub(crate) use dispatch;
