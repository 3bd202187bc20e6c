#ifndef PD_POOL_H
#define PD_POOL_H

#include <stddef.h>

/* A pool of worker threads for the short parallel regions of a decode step. A region hands its
 * parts to threads that are already running: after a region a worker spins for a moment
 * (PD_POOL_SPIN_MICROSECONDS) before it sleeps, so that the next region of the same step, tens of
 * microseconds later, starts on both cores at once (waking a sleeping thread costs about as much
 * as a small GEMV). */

/* The work of one part: task(context, part). */
typedef void (*pd_pool_task)(void *context, size_t part);

/* Runs task(context, p) for every p in [0, parts) on the calling thread and up to threads - 1
 * pool workers (started on first use, kept for the process), and returns when all are done.
 * Parts are taken in order by whichever thread is free. A call made while another region runs —
 * from a part, or from another thread — runs its parts inline, one after the other. */
void pd_pool_run(size_t threads, size_t parts, pd_pool_task task, void *context);

#endif
