/* ff_ntt_switch.h: the core's side of the NTT path (compiled into the
 * generic core): which kernels are loaded, whether this call may use them,
 * and the worker-pool hook they get for a call on several threads. */
#ifndef FF_NTT_SWITCH_H
#define FF_NTT_SWITCH_H

#include "ff_ntt_api.h"
#include "ff_par.h"

/* The loaded kernels; NULL: every call takes the GMP path.  fastfib._backend
 * may switch it while other threads compute, so a call reads it once, with
 * ff_ntt_for_call(), and uses only that copy (the tables themselves are
 * static and never freed, so a copy never dangles). */
static const ff_ntt_api *ff_ntt = NULL;
static void ff_set_ntt(const ff_ntt_api *table) { __atomic_store_n(&ff_ntt, table, __ATOMIC_RELEASE); }
static const ff_ntt_api *ff_ntt_loaded(void) { return __atomic_load_n(&ff_ntt, __ATOMIC_ACQUIRE); }

/* The call on this thread: -1 outside a reserved call (use the kernels if
 * loaded), 1 or 0 as its memory reservation decided (_core._hold): the NTT
 * path takes about twice GMP's memory, so a call that fits only GMP's
 * estimate runs on GMP. */
static __thread int ff_call_ntt = -1;
static void ff_set_call_ntt(int on) { ff_call_ntt = on; }
/* The kernels this call may use, read once; NULL: the GMP path. */
static const ff_ntt_api *ff_ntt_for_call(void) { return ff_call_ntt != 0 ? ff_ntt_loaded() : NULL; }

/* The two squarings of a doubling step on two of the pool's threads. */
static void ff_pool_run2(void *ctx, ff_task_fn fn, void *a0, void *a1) {
    void *args[2] = {a0, a1};
    (void)ctx;
    ff_run(2, fn, args, FF_THREADS());
}

/* The hook for this call: NULL (serial) with one thread. */
static const ff_par2 *ff_call_par2(void) {
    static __thread ff_par2 par = {ff_pool_run2, NULL, 0, 0};   /* each calling thread its own */
    if (FF_THREADS() <= 1) return NULL;
    par.min_limbs = (long)(ff_par_mul_bits / GMP_NUMB_BITS);
    return &par;
}

#endif /* FF_NTT_SWITCH_H */
