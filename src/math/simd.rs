//! Runtime selection of a vector instruction set for hot loops.
//!
//! A kernel body is written once as an `#[inline(always)]` function of plain
//! slices; [`dispatch!`](crate::dispatch) compiles it twice — for the baseline
//! target and with AVX2+FMA enabled — and picks the second when the CPU has it.
//! The arithmetic is the same in both (no FMA contraction is introduced), so
//! results do not depend on the machine.

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

/// Defines `fn $name(args) -> ret` that runs `$body` (an `#[inline(always)]`
/// function taking the same arguments) compiled for AVX2+FMA when available.
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch {
    ($vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:path) => {
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if $crate::math::simd::has_avx2() {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
