{
  # fre_blas: Node-API addon calling OpenBLAS's cblas_sgemm (see blas.c, scripts/setup.sh).
  # Built by scripts/setup.sh into native/build/Release/fre_blas.node.
  # OpenBLAS flags come from pkg-config when it knows openblas (Debian's libopenblas-dev ships
  # openblas.pc); otherwise plain -lopenblas with cblas.h on the default include path.
  # FRE_BLAS_CFLAGS / FRE_BLAS_LIBS (environment) override both, e.g. for a custom OpenBLAS prefix.
  "targets": [
    {
      "target_name": "fre_blas",
      "sources": ["blas.c", "noise.c", "periphery.c", "devices.c", "conv.c", "pool.c"],
      "defines": ["NAPI_VERSION=8"],
      # -ffp-contract=off: no a·b + c is fused into an FMA (an ISO -std=c11 build's default already, stated so
      # that no flag change turns it on). The target clones (avx512f, avx2, default) must give the same bytes,
      # and the rounding to a code (periphery.c fre_code: lo + k·step; the LUT's (h − lo)·scale + 0.5) must be
      # the double expression simulator/chip/periphery.ts evaluates: a contracted one rounds once, not twice.
      "cflags": [
        "-O3", "-fno-trapping-math", "-ffp-contract=off", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter",
        "<!@(sh -c 'if [ -n \"${FRE_BLAS_CFLAGS:-}\" ]; then echo \"$FRE_BLAS_CFLAGS\"; else pkg-config --cflags openblas 2>/dev/null || true; fi')"
      ],
      "cflags_c": ["-std=c11"],
      # -z nodelete: never unmapped (Node unloads an addon when the last environment that loaded it, e.g. a worker
      # thread, ends): pool.c's process-wide workers run, and spin in, its code between jobs.
      "ldflags": ["-pthread", "-Wl,-z,nodelete"],
      "libraries": [
        "<!@(sh -c 'if [ -n \"${FRE_BLAS_LIBS:-}\" ]; then echo \"$FRE_BLAS_LIBS\"; else pkg-config --libs openblas 2>/dev/null || echo -lopenblas; fi')"
      ]
    }
  ]
}
