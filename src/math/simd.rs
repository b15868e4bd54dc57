//! Runtime selection of a vector instruction set for hot loops.
//!
//! A kernel body is written once as an `#[inline(always)]` function of plain
//! slices, generic over `const FMA: bool`; [`dispatch!`](crate::dispatch)
//! compiles it twice — `body::<false>` for the baseline target and
//! `body::<true>` with AVX2+FMA enabled — and picks the second when the CPU has
//! it. The only arithmetic difference is the fused multiply-adds inside
//! [`exp_with`](super::expf::exp_with), so results are bitwise reproducible on
//! one machine (whatever the thread count) and agree to a few ULP across
//! machines.

/// Whether the AVX2 copy of the kernels may run on this CPU.
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `fn $name(args) -> ret` that runs `$body::<true>` (an
/// `#[inline(always)]` function generic over `const FMA: bool`, taking the same
/// arguments) compiled for AVX2+FMA when available, else `$body::<false>`.
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch {
    ($vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident) => {
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
