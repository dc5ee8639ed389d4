/* Session 7: pool.c's way (one persistent worker woken per call, the caller claims blocks too), same work as
 * per-call.c — see ../profile.md. gcc -O2 -pthread persistent.c -o persistent && ./persistent */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <sched.h>
static volatile double sink;
static void work(int b) { double s = 0; for (int i = 0; i < 1200000; i++) s += i * 1e-9 * b; sink += s; }
static atomic_int next, done, n; static int gen = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void run(void) { for (int b; (b = atomic_fetch_add(&next, 1)) < n;) { work(b); atomic_fetch_add(&done, 1); } }
static void *worker(void *p) { int seen = 0; for (;;) { pthread_mutex_lock(&mu); while (gen == seen) pthread_cond_wait(&cv, &mu); seen = gen; pthread_mutex_unlock(&mu); run(); } return NULL; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
  pthread_t t; pthread_create(&t, NULL, worker, NULL);
  for (int rep = 0; rep < 2; rep++) {
    double w0 = now(), c0 = cpu(); int mine = 0;
    for (int call = 0; call < 60; call++) {
      pthread_mutex_lock(&mu); atomic_store(&next, 0); atomic_store(&done, 0); atomic_store(&n, 8); gen++; pthread_cond_signal(&cv); pthread_mutex_unlock(&mu);
      run();
      while (atomic_load(&done) < 8) sched_yield();
    }
    printf("persistent worker, 2 threads: 60 calls, wall %.0f ms, CPU %.0f ms\n", (now() - w0) * 1e3, (cpu() - c0) * 1e3);
  }
  return 0;
}
