/* A persistent pool of worker pthreads for fastfib's core.
 *
 * ff_run(n, fn, args, threads) runs fn(args[i]) for i < n on the calling
 * thread and up to threads-1 workers, and returns when all are done.  The
 * workers are started on first use and kept for the life of the process
 * (none is created per call).  If the pool is owned by another call (several
 * Python threads at once), if threads <= 1, or if no worker can be started,
 * the tasks simply run on the calling thread, one after the other: the
 * results are the same either way.  After fork() the child starts with no
 * workers and a fresh pool (pthread_atfork).  Workers never touch Python.
 */
#ifndef FF_POOL_H
#define FF_POOL_H

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>

#define FF_MAX_THREADS 64

typedef void (*ff_task)(void *);

static pthread_mutex_t ff_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ff_work = PTHREAD_COND_INITIALIZER;  /* workers: a job or more workers allowed */
static pthread_cond_t ff_done = PTHREAD_COND_INITIALIZER;  /* the owner: the last task finished */
static int ff_started = 0;       /* workers running */
static int ff_ready = 0;         /* workers past their start-up */
static int ff_allowed = 0;       /* workers that may take tasks of the current job */
static int ff_busy = 0;          /* a call owns the pool */
static int ff_atfork_set = 0;
static ff_task ff_fn = 0;
static void **ff_args = 0;
static int ff_next = 0, ff_ntasks = 0, ff_pending = 0;

static void ff_atfork_child(void) {
    /* Only the forking thread exists in the child: forget the parent's workers. */
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c1 = PTHREAD_COND_INITIALIZER, c2 = PTHREAD_COND_INITIALIZER;
    ff_mu = mu; ff_work = c1; ff_done = c2;
    ff_started = ff_ready = ff_allowed = ff_busy = 0;
    ff_fn = 0; ff_args = 0; ff_next = ff_ntasks = ff_pending = 0;
}

/* Before sleeping on a condition variable, a worker waiting for the next
 * task, and a call waiting for its workers, spin this long: in a doubling
 * step the next task comes within tens of microseconds, and waking a
 * thread from an idle CPU costs about as much as a whole step at n = 10^6. */
static long ff_spin_ns = 0;  /* off: measured no gain on a shared 2-core machine; _set_thresholds(spin_ns=) */
#if defined(__x86_64__) || defined(__i386__)
#define ff_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define ff_relax() __asm__ __volatile__("yield")
#else
#define ff_relax() ((void)0)
#endif

static long ff_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Spin, unlocked, until ready(arg) is true or ff_spin_ns nanoseconds pass;
 * returns at once while ff_spin_ns is 0 (the default). */
static void ff_spin(int (*ready)(long), long arg) {
    long until;
    if (ff_spin_ns <= 0) return;
    until = ff_now_ns() + ff_spin_ns;
    int i;
    for (;;) {
        for (i = 0; i < 64; i++) {
            if (ready(arg)) return;
            ff_relax();
        }
        if (ff_now_ns() > until) return;
    }
}

static int ff_task_waiting(long id) {
    return id < __atomic_load_n(&ff_allowed, __ATOMIC_ACQUIRE)
        && __atomic_load_n(&ff_next, __ATOMIC_ACQUIRE) < __atomic_load_n(&ff_ntasks, __ATOMIC_ACQUIRE);
}

static int ff_all_done(long unused) {
    (void)unused;
    return __atomic_load_n(&ff_pending, __ATOMIC_ACQUIRE) == 0;
}

static void *ff_worker(void *idp) {
    long id = (long)idp;
    /* Make this thread's malloc arena now, so the address space it takes is
     * mapped before the caller measures what is free (RLIMIT_AS). */
    free(malloc(64));
    pthread_mutex_lock(&ff_mu);
    ff_ready++;
    pthread_cond_broadcast(&ff_done);
    for (;;) {
        if (!(id < ff_allowed && ff_next < ff_ntasks)) {
            pthread_mutex_unlock(&ff_mu);
            ff_spin(ff_task_waiting, id);
            pthread_mutex_lock(&ff_mu);
        }
        while (!(id < ff_allowed && ff_next < ff_ntasks))
            pthread_cond_wait(&ff_work, &ff_mu);
        int i = __atomic_fetch_add(&ff_next, 1, __ATOMIC_ACQ_REL);
        ff_task fn = ff_fn;
        void *arg = ff_args[i];
        pthread_mutex_unlock(&ff_mu);
        fn(arg);
        pthread_mutex_lock(&ff_mu);
        if (__atomic_sub_fetch(&ff_pending, 1, __ATOMIC_ACQ_REL) == 0) pthread_cond_signal(&ff_done);
    }
    return 0;
}

/* Start workers until `want` run; returns how many run.  Called with ff_mu
 * held and ff_busy set by the caller (it waits for the workers, unlocked). */
static int ff_start_workers(int want) {
    pthread_attr_t attr;
    sigset_t all, old;
    if (!ff_atfork_set) {
        if (pthread_atfork(0, 0, ff_atfork_child) != 0) return ff_started;
        ff_atfork_set = 1;
    }
    if (want > FF_MAX_THREADS - 1) want = FF_MAX_THREADS - 1;
    if (ff_started >= want) return ff_started;
    if (pthread_attr_init(&attr) != 0) return ff_started;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Workers block every signal, so Python's handlers run on the main thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    while (ff_started < want) {
        pthread_t t;
        if (pthread_create(&t, &attr, ff_worker, (void *)(long)ff_started) != 0) break;
        ff_started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, 0);
    pthread_attr_destroy(&attr);
    while (ff_ready < ff_started)                /* each has made its arena */
        pthread_cond_wait(&ff_done, &ff_mu);
    return ff_started;
}

static void ff_run(int n, ff_task fn, void **args, int threads) {
    int i, workers;
    if (n <= 0) return;
    if (threads > 1 && n > 1) {
        pthread_mutex_lock(&ff_mu);
        if (!ff_busy) {
            ff_busy = 1;                        /* before starting workers: that waits, unlocked */
            workers = ff_start_workers(threads - 1);
            if (workers > 0) {
                ff_allowed = workers < threads - 1 ? workers : threads - 1;
                ff_fn = fn; ff_args = args;
                __atomic_store_n(&ff_next, 0, __ATOMIC_RELEASE);
                __atomic_store_n(&ff_pending, n, __ATOMIC_RELEASE);
                __atomic_store_n(&ff_ntasks, n, __ATOMIC_RELEASE);  /* publishes the job to spinning workers */
                pthread_cond_broadcast(&ff_work);
                while (ff_next < ff_ntasks) {       /* the owner works too */
                    i = __atomic_fetch_add(&ff_next, 1, __ATOMIC_ACQ_REL);
                    pthread_mutex_unlock(&ff_mu);
                    fn(args[i]);
                    pthread_mutex_lock(&ff_mu);
                    __atomic_sub_fetch(&ff_pending, 1, __ATOMIC_ACQ_REL);
                }
                if (ff_pending > 0) {
                    pthread_mutex_unlock(&ff_mu);
                    ff_spin(ff_all_done, 0);
                    pthread_mutex_lock(&ff_mu);
                }
                while (ff_pending > 0)
                    pthread_cond_wait(&ff_done, &ff_mu);
                __atomic_store_n(&ff_ntasks, 0, __ATOMIC_RELEASE);
                __atomic_store_n(&ff_next, 0, __ATOMIC_RELEASE);
                ff_fn = 0; ff_args = 0;
                ff_busy = 0;
                pthread_mutex_unlock(&ff_mu);
                return;
            }
            ff_busy = 0;
        }
        pthread_mutex_unlock(&ff_mu);
    }
    for (i = 0; i < n; i++) fn(args[i]);     /* serial: the same tasks, in order */
}

/* Workers running now (for tests). */
static int ff_workers_started(void) {
    int n;
    pthread_mutex_lock(&ff_mu);
    n = ff_started;
    pthread_mutex_unlock(&ff_mu);
    return n;
}

#endif
