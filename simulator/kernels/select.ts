/**
 * Backend selection. 'auto' (the default) uses the OpenBLAS addon when it loads and the reference
 * TypeScript kernels otherwise; 'native' insists on the addon; 'reference' forces the TS kernels.
 * The environment variable FRE_BACKEND (auto | native | reference), when set, overrides the
 * argument — so a run configured in code can still be forced onto one backend from the shell/CI.
 */
import type { Kernels } from './kernels';
import { loadNativeKernels, nativeInfo, nativeUnavailableReason, NATIVE_BACKEND_NAME, NATIVE_BUILD_HINT } from './native';
import { referenceKernels } from './reference';
import { EnvError } from '../../util/env';

export type BackendName = 'auto' | 'native' | 'reference';

const BACKENDS: readonly BackendName[] = ['auto', 'native', 'reference'];

function isBackendName(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}

/** The backend actually requested: FRE_BACKEND if set (validated), else `name`, else 'auto'. */
export function requestedBackend(name?: BackendName): BackendName {
  const env = process.env.FRE_BACKEND?.trim().toLowerCase();
  if (env) {
    if (!isBackendName(env)) {
      throw new EnvError(`FRE_BACKEND=${process.env.FRE_BACKEND} is not a kernel backend; use one of ${BACKENDS.join(', ')}`);
    }
    return env;
  }
  const requested = name ?? 'auto';
  if (!isBackendName(requested)) {
    throw new Error(`unknown kernel backend '${String(requested)}'; use one of ${BACKENDS.join(', ')}`);
  }
  return requested;
}

/** The choice (FRE_BACKEND, --backend) that selects the kernels named `kernelsName`, as a checkpoint records them. */
export function backendChoiceFor(kernelsName: unknown): BackendName | undefined {
  if (kernelsName === NATIVE_BACKEND_NAME) return 'native';
  if (kernelsName === referenceKernels.name) return 'reference';
  return undefined;
}

export function selectKernels(name?: BackendName): Kernels {
  const requested = requestedBackend(name);
  if (requested === 'reference') return referenceKernels;
  const native = loadNativeKernels();
  if (native !== null) return native;
  if (requested === 'native') {
    throw new EnvError(
      `kernel backend 'native' requested${process.env.FRE_BACKEND ? ' (FRE_BACKEND)' : ''} but unavailable: ` +
        `${nativeUnavailableReason() ?? 'unknown reason'}. To fix: ${NATIVE_BUILD_HINT}; or use FRE_BACKEND=reference.`,
    );
  }
  return referenceKernels;
}

/**
 * One line for logs: which backend a selection gives and why, e.g.
 *   "kernels: openblas-native (OpenBLAS 0.3.21 … Cooperlake; 2 threads)"
 *   "kernels: reference-ts (native unavailable: …/fre_blas.node not built; build it with: bash scripts/setup.sh …)"
 * With `kernels`, describes that object; otherwise what selectKernels(name) would return.
 */
export function describeBackend(kernels?: Kernels, name?: BackendName): string {
  let k: Kernels;
  if (kernels !== undefined) {
    k = kernels;
  } else {
    try {
      k = selectKernels(name);
    } catch (e) {
      return `kernels: none (${(e as Error).message})`;
    }
  }
  if (k === referenceKernels) {
    const reason = nativeUnavailableReason();
    const why =
      requestedBackend0(name) === 'reference'
        ? 'requested'
        : reason !== null
          ? `native unavailable: ${reason}; ${NATIVE_BUILD_HINT}`
          : 'requested';
    return `kernels: ${k.name} (${why})`;
  }
  const info = k.name === 'openblas-native' ? nativeInfo() : null;
  return `kernels: ${k.name}${info ? ` (${info})` : ''}`;
}

/** requestedBackend without throwing (for log text only). */
function requestedBackend0(name?: BackendName): BackendName | 'invalid' {
  try {
    return requestedBackend(name);
  } catch {
    return 'invalid';
  }
}
