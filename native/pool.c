/*
 * Persistent worker threads for the read path (noise.c addNormalVar, periphery.c readPrep and
 * adcConvertScaled) and the update kernels (devices.c run_blocks). Starting threads per call cost the
 * reads, and later the commits, more than it gave on a loaded machine: the caller had to join
 * a thread that the scheduler had not run yet. Here the workers wait for a job; the caller publishes
 * it, claims blocks itself, and afterwards waits only for blocks a worker has already claimed — a
 * worker that wakes late finds nothing left and goes back to sleep. Blocks are claimed by a
 * compare-and-swap on (job generation, next block), so a late worker can never take a block of a
 * later job by mistake. Which thread runs a block never changes its numbers (each block has its own
 * stream), so results are independent of the thread count.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "blocks.h"

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic uint64_t claim; /* generation << 32 | next block */
  atomic_int done;        /* blocks finished in the current generation */
  void (*fn)(void *, int);
  void *ctx;
  atomic_int n; /* atomic: a worker of the last job may still compare against it while the next job sets it */
  int started;            /* worker threads running */
  uint32_t gen;
  pthread_mutex_t call;   /* one job at a time (Node calls from one thread; a guard all the same) */
  _Atomic uint32_t ready; /* gen, stored last when a job is published: what a spinning worker watches */
  int sleepers;           /* workers waiting on cv (under mu): publish signals only when there are some */
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, 0, 0};

/*
 * How long a worker keeps watching for the next job before it sleeps on the condition variable (µs;
 * FRE_POOL_SPIN_US, default 2000; 0: sleep at once, as before session 9). A chip phase publishes a job every
 * few hundred µs (a run of reads, the accumulates, a neuron update), and a sleeping worker took ≈ 0.5 ms to
 * start on this machine's virtual CPUs (a futex wake of a halted vCPU): the caller had done most of a short
 * job alone by then (2HL-512 reram: the worker busy ≈ 1.42 s of a read path's 1.65 s). A spinning worker
 * starts at once. Only while the chip threads fit the CPUs this process may use: a spinning worker must never take a core
 * from the caller.
 */
static long spin_ns = -1, cpus = 0;

/* The CPUs this process may run on: its affinity mask (taskset, a Slurm task's or a container's cpuset),
 * not the machine's online count — on a 64-core node a 2-CPU job would otherwise start 8 chip threads and
 * spin them on 2 CPUs. */
long fre_usable_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return sysconf(_SC_NPROCESSORS_ONLN);
}

static long spin_budget(void) {
  if (spin_ns < 0) {
    const char *e = fre_getenv("FRE_POOL_SPIN_US");
    const long us = e ? strtol(e, NULL, 10) : 2000;
    cpus = fre_usable_cpus();
    spin_ns = us > 0 ? us * 1000 : 0;
  }
  return chip_threads() > cpus ? 0 : spin_ns;
}

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Claims and runs blocks of generation gen until none is left. */
static void work(uint32_t gen) {
  for (;;) {
    uint64_t c = atomic_load_explicit(&P.claim, memory_order_acquire);
    if ((uint32_t)(c >> 32) != gen || (int)(uint32_t)c >= atomic_load_explicit(&P.n, memory_order_acquire)) return;
    if (!atomic_compare_exchange_weak_explicit(&P.claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) continue;
    P.fn(P.ctx, (int)(uint32_t)c);
    atomic_fetch_add_explicit(&P.done, 1, memory_order_release);
  }
}

static void *worker(void *arg) {
  (void)arg;
  uint32_t seen = 0;
  for (;;) {
    /* Watch for the next job for a while (spin_budget), then sleep until one is published. */
    const long budget = spin_budget();
    uint32_t next = atomic_load_explicit(&P.ready, memory_order_acquire);
    if (next == seen && budget > 0) {
      const int64_t until = mono_ns() + budget;
      for (int k = 1; next == seen; k++) {
        _mm_pause();
        next = atomic_load_explicit(&P.ready, memory_order_acquire);
        if ((k & 255) == 0 && mono_ns() > until) break;
      }
    }
    if (next == seen) {
      pthread_mutex_lock(&P.mu);
      P.sleepers++;
      while (P.gen == seen) pthread_cond_wait(&P.cv, &P.mu);
      P.sleepers--;
      next = P.gen;
      pthread_mutex_unlock(&P.mu);
    }
    seen = next;
    work(seen);
  }
  return NULL;
}

/* A job started by fre_pool_start and not yet finished (one at a time per calling thread: another
 * thread's pool job waits on P.call until this thread finishes its own). */
static _Thread_local struct {
  int on;
  uint32_t gen;
  int n;
} A = {0, 0, 0};

/* Publishes a job to the workers and wakes them; returns the generation. P.call is held (the caller
 * runs or finishes the job before releasing it). */
static uint32_t publish(int n, void (*fn)(void *, int), void *ctx, int want) {
  pthread_mutex_lock(&P.mu);
  while (P.started < want) {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    const int ok = pthread_create(&t, &a, worker, NULL) == 0;
    pthread_attr_destroy(&a);
    if (!ok) break;
    P.started++;
  }
  /* The new generation goes into the claim word before the job's fields change: a worker still in work()
   * for the last job (woken late, its blocks all taken) that read the claim (last gen, its n) and then this
   * job's larger n would otherwise win its compare-and-swap in between and run block n_last of this job
   * with this job's fn (twice, and counted in done before the reset). Once the claim holds the new
   * generation its compare-and-swap fails; n is stored with release, so a worker that reads the new n sees
   * the new claim. No worker can hold the new generation before P.mu is released. */
  const uint32_t gen = ++P.gen;
  atomic_store_explicit(&P.claim, (uint64_t)gen << 32, memory_order_relaxed);
  P.fn = fn;
  P.ctx = ctx;
  atomic_store_explicit(&P.done, 0, memory_order_relaxed);
  atomic_store_explicit(&P.n, n, memory_order_release);
  /* The job is complete: spinning workers may take it now. */
  atomic_store_explicit(&P.ready, gen, memory_order_release);
  /* Wake as many sleeping workers as the thread count asks for (more may exist after setChipThreads lowered
   * it; spinning ones have seen `ready`). */
  if (P.sleepers > 0) {
    if (want >= P.started) pthread_cond_broadcast(&P.cv);
    else
      for (int i = 0; i < want; i++) pthread_cond_signal(&P.cv);
  }
  pthread_mutex_unlock(&P.mu);
  return gen;
}

/* fn(ctx, b) for b < n started on the workers only: the caller goes on with other work (a GEMM) and
 * calls fre_pool_finish before it needs the results or starts another pool job; with no workers
 * (one chip thread) the blocks run here and now. Which thread runs a block never changes its bytes. */
void fre_pool_start(int n, void (*fn)(void *, int), void *ctx) {
  fre_pool_finish();
  const int want = chip_threads() - 1;
  if (want <= 0 || n <= 1) {
    for (int b = 0; b < n; b++) fn(ctx, b);
    return;
  }
  pthread_mutex_lock(&P.call);
  A.gen = publish(n, fn, ctx, want);
  A.n = n;
  A.on = 1;
}

/* The started job's unclaimed blocks on the caller (a worker the scheduler has not run yet costs
 * nothing), then a wait for the ones a worker took. A no-op when nothing is started. */
void fre_pool_finish(void) {
  if (!A.on) return;
  A.on = 0;
  work(A.gen);
  while (atomic_load_explicit(&P.done, memory_order_acquire) < A.n) sched_yield();
  pthread_mutex_unlock(&P.call);
}

void fre_pool_run(int n, void (*fn)(void *, int), void *ctx) {
  fre_pool_finish();
  const int want = chip_threads() - 1;
  if (want <= 0 || n <= 1) {
    for (int b = 0; b < n; b++) fn(ctx, b);
    return;
  }
  pthread_mutex_lock(&P.call);
  const uint32_t gen = publish(n, fn, ctx, want);
  work(gen);
  /* Every block is claimed; wait for the ones a worker is still running. */
  while (atomic_load_explicit(&P.done, memory_order_acquire) < n) sched_yield();
  pthread_mutex_unlock(&P.call);
}
