/* Session 7: devices.c run_blocks' way (a new thread per call, 8 blocks of ≈ 0.8 ms, 60 calls) — see ../profile.md.
 * gcc -O2 -pthread per-call.c -o per-call && ./per-call 2 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
typedef struct { int n; atomic_int next; } job;
static volatile double sink;
static void work(int b) { double s = 0; for (int i = 0; i < 1200000; i++) s += i * 1e-9 * b; sink += s; }
static void *worker(void *p) { job *j = p; for (int b; (b = atomic_fetch_add(&j->next, 1)) < j->n;) work(b); return NULL; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]);
  for (int rep = 0; rep < 2; rep++) {
    double w0 = now(), c0 = cpu();
    for (int call = 0; call < 60; call++) {
      job j = {8, 0};
      pthread_t th[8]; int started = 0;
      for (int t = 1; t < threads; t++) if (pthread_create(&th[started], NULL, worker, &j) == 0) started++;
      worker(&j);
      for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    }
    printf("run_blocks-style, %d threads: 60 calls, wall %.0f ms, CPU %.0f ms\n", threads, (now() - w0) * 1e3, (cpu() - c0) * 1e3);
  }
  return 0;
}
