#include "pd_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() ((void)0)
#endif

/* How long an idle worker spins for the next region before it sleeps. */
#define PD_POOL_SPIN_MICROSECONDS 100
/* Workers the pool ever starts. */
#define PD_POOL_MAX_THREADS 256

/* The region being run. `ticket` packs its number (high 32 bits), its part count (next 16) and
 * the next part to take (low 16): a thread takes part i by moving the ticket from i to i + 1 with
 * the region number it saw, so a late worker can never take a part of a later region, and it
 * reads task and context only after it owns a part (the region cannot end, nor the next begin,
 * while a part it owns is outstanding). */
static _Atomic uint64_t ticket;
static pd_pool_task region_task;
static void *region_context;
static _Atomic size_t finished;
static atomic_flag busy = ATOMIC_FLAG_INIT;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static _Atomic int sleepers;
static _Atomic size_t started;   /* written under lock */

static uint64_t region_of(uint64_t t) { return t >> 32; }

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* Takes and runs parts of region `region` until none is left. */
static void take_parts(uint64_t region) {
    uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
    for (;;) {
        if (region_of(t) != region) return;
        const uint64_t parts = (t >> 16) & 0xffff, part = t & 0xffff;
        if (part >= parts) return;
        if (!atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        region_task(region_context, (size_t)part);
        atomic_fetch_add_explicit(&finished, 1, memory_order_release);
        t = atomic_load_explicit(&ticket, memory_order_acquire);
    }
}

static void *worker(void *unused) {
    (void)unused;
    uint64_t seen = region_of(atomic_load(&ticket));
    for (;;) {
        const double start = seconds();
        unsigned spins = 0;
        uint64_t region;
        while ((region = region_of(atomic_load_explicit(&ticket, memory_order_acquire))) == seen) {
            PAUSE();
            if (++spins % 64 == 0 && seconds() - start > 1e-6 * PD_POOL_SPIN_MICROSECONDS) {
                pthread_mutex_lock(&lock);
                atomic_fetch_add(&sleepers, 1);
                while ((region = region_of(atomic_load(&ticket))) == seen) pthread_cond_wait(&wake, &lock);
                atomic_fetch_sub(&sleepers, 1);
                pthread_mutex_unlock(&lock);
                break;
            }
        }
        seen = region;
        take_parts(region);
    }
    return NULL;
}

/* Starts workers until `count` run (never more than PD_POOL_MAX_THREADS). */
static void ensure_workers(size_t count) {
    if (count > PD_POOL_MAX_THREADS) count = PD_POOL_MAX_THREADS;
    if (atomic_load_explicit(&started, memory_order_relaxed) >= count) return;
    pthread_mutex_lock(&lock);
    while (started < count) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker, NULL) != 0) break;
        pthread_detach(thread);
        started++;
    }
    pthread_mutex_unlock(&lock);
}

void pd_pool_run(size_t threads, size_t parts, pd_pool_task task, void *context) {
    if (parts == 0) return;
    if (threads <= 1 || parts == 1 || parts > 0xffff || atomic_flag_test_and_set_explicit(&busy, memory_order_acquire)) {
        for (size_t p = 0; p < parts; p++) task(context, p);
        return;
    }
    ensure_workers(threads - 1);
    region_task = task;
    region_context = context;
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    const uint64_t region = (region_of(atomic_load(&ticket)) + 1) & 0xffffffffu;
    atomic_store(&ticket, (region << 32) | ((uint64_t)parts << 16));
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&lock);
    }
    take_parts(region);
    /* The parts still running are on workers; give the core up now and then in case one of them
     * was preempted by another process. */
    for (unsigned spins = 1; atomic_load_explicit(&finished, memory_order_acquire) < parts; spins++) {
        PAUSE();
        if (spins % 4096 == 0) sched_yield();
    }
    atomic_flag_clear_explicit(&busy, memory_order_release);
}
