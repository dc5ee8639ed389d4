/* The chip kernels' worker threads (defined in devices.c, shared by the read path in noise.c and
 * periphery.c): FRE_BLOCKS fixed blocks of work, run on up to chip_threads() threads. */
#ifndef FRE_BLOCKS_H
#define FRE_BLOCKS_H
#define FRE_BLOCKS 8
int chip_threads(void);
void run_blocks(int n, void (*fn)(void *, int), void *ctx);
/* fn(ctx, b) for b < n on the persistent workers of pool.c and the caller (the read path). */
void fre_pool_run(int n, void (*fn)(void *, int), void *ctx);
#endif
