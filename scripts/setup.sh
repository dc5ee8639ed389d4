#!/usr/bin/env bash
# Build the optional fast kernel backend: a Node-API addon calling OpenBLAS's cblas_sgemm
# (native/blas.c -> native/build/Release/fre_blas.node, loaded by simulator/kernels/native.ts).
#
#   bash scripts/setup.sh            # install OpenBLAS if missing (root + apt-get only), build addon
#   FRE_NO_NATIVE=1 bash scripts/setup.sh      # skip the addon entirely
#   FRE_SETUP_FORCE=1 bash scripts/setup.sh    # rebuild even if the addon is up to date
#   FRE_SETUP_VERBOSE=1 bash scripts/setup.sh  # on a failed build, also show the end of the log
#
# Idempotent: re-running skips the apt step when OpenBLAS is present and the build when the addon
# is newer than its sources and still loads. This script NEVER fails the surrounding install: if
# anything is missing it prints exactly one line
#   fast backend unavailable: <reason>; using the reference TypeScript kernels
# and exits 0. Build output goes to native/build/setup.log.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATIVE="$ROOT/native"
ADDON="$NATIVE/build/Release/fre_blas.node"
LOG="$(mktemp "${TMPDIR:-/tmp}/fre-setup.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

info() { echo "[setup] $*"; }
unavailable() {
  # Keep the build log next to the addon for whoever has to debug it.
  if [ -s "$LOG" ] && mkdir -p "$NATIVE/build" 2>/dev/null; then cp "$LOG" "$NATIVE/build/setup.log" 2>/dev/null || true; fi
  echo "fast backend unavailable: $1; using the reference TypeScript kernels"
  exit 0
}
have() { command -v "$1" >/dev/null 2>&1; }

[ -n "${FRE_NO_NATIVE:-}" ] && unavailable "disabled by FRE_NO_NATIVE"
have node || unavailable "node not found on PATH"
have cc || unavailable "no C compiler (cc) found; install build-essential"
have make || unavailable "make not found; install build-essential"
have python3 || unavailable "python3 not found (node-gyp needs it)"

# --- (a) OpenBLAS: the definitive check is compiling and linking a cblas_sgemm call. ------------
blas_flags() {
  if [ -n "${FRE_BLAS_CFLAGS:-}${FRE_BLAS_LIBS:-}" ]; then
    CFLAGS_BLAS="${FRE_BLAS_CFLAGS:-}"; LIBS_BLAS="${FRE_BLAS_LIBS:--lopenblas}"
  elif have pkg-config && pkg-config --exists openblas 2>/dev/null; then
    CFLAGS_BLAS="$(pkg-config --cflags openblas)"; LIBS_BLAS="$(pkg-config --libs openblas)"
  else
    CFLAGS_BLAS=""; LIBS_BLAS="-lopenblas"
  fi
}
openblas_ok() {
  blas_flags
  local probe
  probe="$(mktemp -d "${TMPDIR:-/tmp}/fre-blas-probe.XXXXXX")" || return 1
  printf '#include <cblas.h>\nint main(void){float a=1,b=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.0f,&a,1,&b,1,0.0f,&c,1);return c==1.0f?0:1;}\n' >"$probe/p.c"
  # shellcheck disable=SC2086
  cc $CFLAGS_BLAS "$probe/p.c" -o "$probe/p" $LIBS_BLAS >>"$LOG" 2>&1 && "$probe/p" >>"$LOG" 2>&1
  local rc=$?
  rm -rf "$probe"
  return $rc
}

if ! openblas_ok; then
  if [ "$(id -u)" = "0" ] && have apt-get; then
    info "OpenBLAS not found; installing libopenblas-dev with apt-get"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libopenblas-dev; } >>"$LOG" 2>&1; then
      unavailable "apt-get install libopenblas-dev failed (see native/build/setup.log)"
    fi
    openblas_ok || unavailable "OpenBLAS installed but a cblas_sgemm test program does not link (see native/build/setup.log)"
  else
    unavailable "OpenBLAS not found (install libopenblas-dev, e.g. sudo apt-get install libopenblas-dev, then re-run bash scripts/setup.sh)"
  fi
fi

# --- (b) the addon --------------------------------------------------------------------------------
addon_loads() {
  node -e '
    const m = require(process.argv[1]);
    const c = new Float32Array(1);
    m.sgemm(false, false, 1, 1, 1, 1, new Float32Array([2]), 1, new Float32Array([3]), 1, 0, c, 1);
    if (c[0] !== 6) throw new Error("self-test gave " + c[0]);
  ' "$ADDON" >>"$LOG" 2>&1
}

if [ -z "${FRE_SETUP_FORCE:-}" ] && [ -f "$ADDON" ] &&
   [ -z "$(find "$NATIVE" -maxdepth 1 -newer "$ADDON" \( -name "*.c" -o -name "*.h" -o -name "binding.gyp" \))" ] && addon_loads; then
  info "fast backend up to date: native/build/Release/fre_blas.node"
  exit 0
fi

# node-gyp: the copy bundled with npm (npm exports its path as npm_config_node_gyp in scripts),
# else one on PATH. Never npx: that may try to download.
NODE_GYP=""
for cand in "${npm_config_node_gyp:-}" \
            "$(dirname "$(readlink -f "$(command -v npm 2>/dev/null || echo /nonexistent)")")/../node_modules/node-gyp/bin/node-gyp.js" \
            "$(dirname "$(command -v npm 2>/dev/null || echo /nonexistent)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
  if [ -n "$cand" ] && [ -f "$cand" ]; then NODE_GYP="$cand"; break; fi
done
if [ -n "$NODE_GYP" ]; then GYP=(node "$NODE_GYP")
elif have node-gyp; then GYP=(node-gyp)
else unavailable "node-gyp not found (it ships with npm)"; fi

# Node's own headers when installed (distro/nodesource node puts them in <prefix>/include/node),
# so no download is needed; otherwise node-gyp fetches them (needs network once).
NODEDIR_ARG=()
NODE_PREFIX="$(node -p 'require("path").resolve(process.execPath, "..", "..")')"
if [ -f "$NODE_PREFIX/include/node/node_api.h" ] && [ -f "$NODE_PREFIX/include/node/common.gypi" ]; then
  NODEDIR_ARG=(--nodedir="$NODE_PREFIX")
fi

info "building native/build/Release/fre_blas.node (OpenBLAS: ${LIBS_BLAS})"
export FRE_BLAS_CFLAGS="${CFLAGS_BLAS}" FRE_BLAS_LIBS="${LIBS_BLAS}"
rm -f "$ADDON"
if ! (cd "$NATIVE" && "${GYP[@]}" configure "${NODEDIR_ARG[@]}" && "${GYP[@]}" build "${NODEDIR_ARG[@]}") >>"$LOG" 2>&1; then
  [ -n "${FRE_SETUP_VERBOSE:-}" ] && tail -n 25 "$LOG" | sed 's/^/[setup]   /' >&2
  unavailable "node-gyp build of native/fre_blas failed (see native/build/setup.log)"
fi
[ -f "$ADDON" ] || unavailable "node-gyp finished but native/build/Release/fre_blas.node is missing"
addon_loads || unavailable "native/build/Release/fre_blas.node was built but does not load or fails its self-test (see native/build/setup.log)"
cp "$LOG" "$NATIVE/build/setup.log" 2>/dev/null || true
info "fast backend ready: native/build/Release/fre_blas.node"
exit 0
