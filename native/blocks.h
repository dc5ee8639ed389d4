/* The chip kernels' threads: FRE_BLOCKS fixed blocks of work on up to chip_threads() threads
 * (FRE_CHIP_THREADS / setChipThreads; defined in devices.c). run_blocks (devices.c, the update kernels)
 * and fre_pool_run (pool.c, the read path) both run on pool.c's persistent workers. */
#ifndef FRE_BLOCKS_H
#define FRE_BLOCKS_H
#include <stdlib.h>
#define FRE_BLOCKS 8
int chip_threads(void);
void run_blocks(int n, void (*fn)(void *, int), void *ctx);
/* fn(ctx, b) for b < n on the persistent workers of pool.c and the caller (the read path). */
void fre_pool_run(int n, void (*fn)(void *, int), void *ctx);
/* The CPUs this process may run on (its affinity mask; else the online count). */
long fre_usable_cpus(void);
/* fre_pool_run split in two: the blocks started on the workers only, and finished (the rest on the
 * caller, then a wait). Every other pool job finishes a started one first. */
void fre_pool_start(int n, void (*fn)(void *, int), void *ctx);
void fre_pool_finish(void);
/* getenv(name), or NULL when it is unset, empty or blank: util/env.ts checks these variables and takes
 * such a value as unset (the default), while strtol would read it as 0. */
static inline const char *fre_getenv(const char *name) {
  const char *e = getenv(name);
  if (e == NULL) return NULL;
  for (const char *c = e; *c; c++)
    if (*c != ' ' && (*c < '\t' || *c > '\r')) return e;
  return NULL;
}
#endif
