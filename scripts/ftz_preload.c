/* Sets flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) in the
 * process before main runs; threads created afterwards inherit the flags.
 * Used to time a build as it would run on a CPU where subnormals are free
 * (results/benchmarks.md: "the build before the new step, FTZ/DAZ forced"):
 *
 *     gcc -O2 -shared -fPIC -o /tmp/ftz.so scripts/ftz_preload.c
 *     LD_PRELOAD=/tmp/ftz.so stdp dc ...
 */
#include <xmmintrin.h>

__attribute__((constructor)) static void stdp_force_ftz_daz(void) {
    _mm_setcsr(_mm_getcsr() | 0x8040);
}
