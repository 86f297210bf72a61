/* ff_par2.h -- an optional "run these two tasks, at once if you can" hook.
 *
 * The doubling loops of ff_bin.h and ff_dec.h have two independent
 * squarings per step.  They take an ff_par2 (or NULL, for serial): fastfib
 * plugs its persistent worker pool in here (ff_pool.h's ff_run(2, ...)), the
 * harness plugs its own.  Only steps whose operands have at least min_limbs
 * limbs use it: below that, waking a thread costs more than it saves.
 */
#ifndef FF_PAR2_H
#define FF_PAR2_H

#include <stddef.h>

typedef void (*ff_task_fn)(void *);

typedef struct {
    /* Run fn(a0) and fn(a1), return when both are done.  Tasks report their
     * own failures through their argument. */
    void (*run2)(void *ctx, ff_task_fn fn, void *a0, void *a1);
    void *ctx;
    long min_limbs;
    /* FLINT workers for the products that run alone (the last product of
     * F(n), Lucas' squarings): 0 = none.  Needs FLINT's process-wide pool,
     * made once by flint_set_num_threads(1 + flint_workers) at start-up (it
     * must not be resized while in use); the count itself is per thread
     * (flint_reset_num_workers), so concurrent calls do not interfere: a
     * call that finds the pool's workers busy runs its product alone.
     * Read by ff_flint.h's ff_par2_flint_begin; ignored by ff_small.h. */
    int flint_workers;
} ff_par2;

/* fn(a0), fn(a1) through par if given and the operands are large enough. */
static inline void ff_par2_run(const ff_par2 *par, long limbs, ff_task_fn fn, void *a0, void *a1) {
    if (par != NULL && par->run2 != NULL && limbs >= par->min_limbs) {
        par->run2(par->ctx, fn, a0, a1);
    } else {
        fn(a0);
        fn(a1);
    }
}

#endif /* FF_PAR2_H */
