/*
 * The kernels' helper threads (kernels.h, tm_run_parts): one pool per process. A part goes to whichever
 * thread claims it first: the calling thread, once done with part 0, runs every part no helper has started,
 * so a helper the OS has not scheduled yet costs nothing but the wake-up call, and the caller waits only for
 * parts a helper is running.
 *
 * After a call that asks for it (spinNs), a helper spins that long before it parks, and the caller spins while
 * a helper finishes: on a VM, waking a parked thread (a futex and an interrupt to an idle virtual CPU) took
 * ~50-100 µs per hand-off here, and a decode step of a small model hands off once every ~2 ms
 * (docs/PERFORMANCE.md). Calls between libtorch ops (a large model's attention) ask for none: a spinning
 * helper would take the core from libtorch's own threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "kernels.h"

/* How long the caller spins on a helper's part before it sleeps. */
#define WAIT_SPIN_NS 20000000L

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER; /* held by the call using the helpers */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, finished = PTHREAD_COND_INITIALIZER;
static int helpers_started;
static long generation; /* written under mu, read by spinning helpers without it */
static int sleepers;    /* helpers parked on `wake` */
static int caller_sleeping;
/* The current call, guarded by mu (parts_done is also read by the spinning caller). */
static int job_parts;
static int parts_done;
static unsigned char claimed[TM_MAX_PARTS];
static tm_part_fn job_fn;
static void *job_arg;
static int results[TM_MAX_PARTS];
static long job_spin_ns;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static __thread float *scratch[TM_SCRATCH_SLOTS];
static __thread size_t scratch_floats[TM_SCRATCH_SLOTS];

float *tm_scratch(int slot, size_t floats) {
  if (floats > scratch_floats[slot]) {
    float *grown = realloc(scratch[slot], floats * sizeof(float));
    if (grown == NULL) return NULL;
    scratch[slot] = grown;
    scratch_floats[slot] = floats;
  }
  return scratch[slot];
}

/* Claims part p of the current call (mu held): whether the caller may run it. */
static int claim(int p) {
  if (p >= job_parts || claimed[p]) return 0;
  claimed[p] = 1;
  return 1;
}

static void *helper(void *arg) {
  int part = (int) (intptr_t) arg;
  long seen = 0;
  long spin = 0; /* the last call's spinNs */
  for (;;) {
    long start = now_ns();
    for (int i = 1; spin > 0 && __atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen; i++) {
      relax();
      if ((i & 255) == 0 && now_ns() - start > spin) break;
    }
    pthread_mutex_lock(&mu);
    while (generation == seen) {
      sleepers++;
      pthread_cond_wait(&wake, &mu);
      sleepers--;
    }
    seen = generation;
    spin = job_spin_ns;
    if (!claim(part)) {
      pthread_mutex_unlock(&mu);
      continue;
    }
    tm_part_fn fn = job_fn;
    void *a = job_arg;
    pthread_mutex_unlock(&mu);
    int rc = fn(a, part);
    pthread_mutex_lock(&mu);
    results[part] = rc;
    __atomic_store_n(&parts_done, parts_done + 1, __ATOMIC_RELEASE);
    if (parts_done == job_parts && caller_sleeping) pthread_cond_signal(&finished);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

int tm_run_parts(int parts, tm_part_fn fn, void *arg, long spinNs) {
  if (parts > TM_MAX_PARTS) parts = TM_MAX_PARTS;
  int rc = OK;
  if (parts <= 1 || pthread_mutex_trylock(&pool_lock) != 0) {
    for (int p = 0; p < parts || p == 0; p++) {
      int r = fn(arg, p);
      rc = rc != OK ? rc : r;
    }
    return rc;
  }
  pthread_mutex_lock(&mu);
  while (helpers_started < parts - 1) {
    pthread_t t;
    if (pthread_create(&t, NULL, helper, (void *) (intptr_t) (helpers_started + 1)) != 0) break;
    pthread_detach(t);
    helpers_started++;
  }
  for (int p = 0; p < TM_MAX_PARTS; p++) {
    results[p] = OK;
    claimed[p] = 0;
  }
  job_fn = fn;
  job_arg = arg;
  job_parts = parts;
  job_spin_ns = spinNs;
  parts_done = 0;
  claimed[0] = 1;
  __atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
  if (sleepers > 0) pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  results[0] = fn(arg, 0);
  pthread_mutex_lock(&mu);
  parts_done++;
  for (int p = 1; p < parts; p++) {
    if (!claim(p)) continue;
    pthread_mutex_unlock(&mu);
    int r = fn(arg, p);
    pthread_mutex_lock(&mu);
    results[p] = r;
    parts_done++;
  }
  if (parts_done < parts) { /* helpers are running the rest: spin a while, then sleep */
    pthread_mutex_unlock(&mu);
    long start = now_ns();
    for (int i = 1; __atomic_load_n(&parts_done, __ATOMIC_ACQUIRE) < parts; i++) {
      relax();
      if ((i & 255) == 0 && now_ns() - start > WAIT_SPIN_NS) break;
    }
    pthread_mutex_lock(&mu);
    while (parts_done < parts) {
      caller_sleeping = 1;
      pthread_cond_wait(&finished, &mu);
    }
    caller_sleeping = 0;
  }
  for (int p = 0; p < parts; p++) rc = rc != OK ? rc : results[p];
  job_parts = 0; /* a helper waking late finds nothing to claim */
  pthread_mutex_unlock(&mu);
  pthread_mutex_unlock(&pool_lock);
  return rc;
}
