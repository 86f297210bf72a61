/* ff_flint.h -- what fastfib's AVX2 module needs to know about FLINT 3.6.
 *
 * FLINT functions used by ff_bin.h / ff_dec.h (and nothing else):
 *   radix_init, radix_clear                  (radix.h; the decimal context)
 *   radix_mul -> radix_mulmid_classical / radix_mulmid_fft_small   (inline in radix.h)
 *   radix_get_str_decimal                    (radix.h)
 *   flint_mpn_mul, flint_mpn_sqr             (mpn_extras.h; inline, call
 *                                             _flint_mpn_mul / _flint_mpn_sqr,
 *                                             the fft_small NTT from
 *                                             FLINT_FFT_SMALL_*_THRESHOLD limbs)
 *   get_default_mpn_ctx, flint_aligned_free  (fft_small.h, flint.h; ff_flint_trim)
 *   flint_get_num_threads, flint_reset_num_workers (flint.h; per-thread worker
 *                                             count, only if ff_par2.flint_workers > 0)
 * and, once at module start-up if FLINT threads are wanted, flint_set_num_threads.
 *
 * Facts these rely on (FLINT 3.6.0 source):
 * - fft_small keeps its context in a thread-local variable (FLINT_TLS_PREFIX
 *   default_mpn_ctx, src/fft_small/default_ctx.c; this build has
 *   FLINT_USES_TLS 1), made on a thread's first large product.  So products
 *   on different threads at once are safe (tested: test_threads.c), but each
 *   thread that ran a large product keeps
 *     (a) one scratch buffer that only grows (mpn_ctx_fit_buffer): about
 *         (primes + threads) x 8 bytes x the transform length; the tasks here
 *         free it after any product once it passes FF_FLINT_KEEP
 *         (ff_flint_trim: just the buffer, the tables stay), and
 *     (b) twiddle tables for the deepest transform it ever ran
 *         (sd_fft_ctx_fit_depth), ~8 bytes x transform length per prime
 *         used: measured 25 MB kept after F(10^8) in decimal, 12.7 MB in
 *         binary.  Only flint_cleanup() on that thread frees them, and
 *         rebuilding them costs ~30% of the next F(3e7) (t_cleanup.c), so
 *         they are kept; a caller that must give the memory back calls
 *         flint_cleanup() on that thread (fastfib's pool workers would need
 *         a task that does so).
 * - radix_mulmid_fft_small and flint_mpn_mul use FLINT's own thread pool only
 *   if the calling thread's worker count is > 0 (thread-local
 *   _flint_num_workers, set by flint_set_num_threads / flint_reset_num_workers;
 *   default 0) and the process-wide pool exists (flint_set_num_threads).
 * - FLINT reports an allocation failure through flint_throw, which aborts
 *   (unless flint_set_throw installs a handler, process-wide): like GMP, the
 *   caller must have reserved the memory (ff_dec_peak_bytes, ff_bin_peak_bytes).
 */
#ifndef FF_FLINT_H
#define FF_FLINT_H

#include <flint/flint.h>
#include <flint/mpn_extras.h>
#include <flint/radix.h>
#include <flint/fft_small.h>
#include <flint/thread_support.h>
#include "ff_par2.h"

#if !FLINT_HAVE_FFT_SMALL
#error "fastfib's NTT module needs FLINT built with fft_small (x86_64 AVX2 or arm64)"
#endif

/* fft_small scratch a thread may keep between products (bytes): below it,
 * keeping saves a free+malloc per product; above it, the memory matters. */
#ifndef FF_FLINT_KEEP
#define FF_FLINT_KEEP ((size_t)32 << 20)
#endif

/* Free this thread's fft_small scratch buffer if it is larger than keep
 * bytes (keep = 0: always).  Only the buffer: the prime tables stay, so the
 * next product does not rebuild them. */
static inline void ff_flint_trim(size_t keep) {
    mpn_ctx_struct *R = get_default_mpn_ctx();
    if (R->buffer != NULL && R->buffer_alloc > keep) {
        flint_aligned_free(R->buffer);
        R->buffer = NULL;
        R->buffer_alloc = 0;
    }
}

/* Around a product that runs alone: give this thread par->flint_workers of
 * FLINT's pool (see ff_par2.h), then restore.  Only from min_limbs limbs. */
static inline int ff_par2_flint_begin(const ff_par2 *par, long limbs) {
    int old = flint_get_num_threads() - 1;
    if (par != NULL && par->flint_workers > 0 && limbs >= par->min_limbs)
        flint_reset_num_workers(par->flint_workers);
    return old;
}

static inline void ff_par2_flint_end(int old) { flint_reset_num_workers(old); }

#endif /* FF_FLINT_H */
