/**
 * OpenBLAS picks its kernels at load time from the CPU model (DYNAMIC_ARCH builds). Releases up to
 * 0.3.24 fall back to Prescott (SSE3) kernels on Intel models they do not know, e.g. Debian 12's
 * 0.3.21 on newer Xeons: 5–6× slower sgemm (OpenMathLib/OpenBLAS issue 4267, fixed by pull 4268 in
 * 0.3.25; pull 3485 added the feature-based fallback for other unknown CPUs). The documented override
 * is the OPENBLAS_CORETYPE environment variable, read once when the library loads. So before the
 * addon loads, when the user has not set it, we name the core from the CPU's own feature flags as
 * the fixed releases do: Intel with AVX-512 (F, CD, BW, DQ, VL) → SkylakeX, whose SGEMM kernels
 * Cooperlake and SapphireRapids also use (kernel/x86_64/KERNEL.COOPERLAKE includes KERNEL.SKYLAKEX);
 * Intel with AVX2 and FMA → Haswell. AMD and Hygon CPUs with that AVX-512 set (Zen 4, Zen 5) get SkylakeX
 * too: 0.3.21 runs them on its Haswell kernels, while later releases pick Cooperlake for family 19h with
 * AVX512-BF16 and SkylakeX without it (driver/others/dynamic.c; pull 4303 did the same for builds
 * without DYNAMIC_ARCH), and pull 3485's feature fallback does so for families they do not know. Their
 * SGEMM kernels are SkylakeX's; on a Zen 5 EPYC here sgemm ran 1.5–1.9× faster than on Haswell's
 * (bench/results/conv/session9-coretype.txt). Other AMD CPUs are left to OpenBLAS (Zen → Haswell kernels).
 */
import { readFileSync } from 'node:fs';

/** The OPENBLAS_CORETYPE for a /proc/cpuinfo text, or null to leave OpenBLAS's choice alone. */
export function openblasCoreFor(cpuinfo: string): string | null {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const flagsLine = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  if (!vendor || !flagsLine) return null;
  const intel = vendor === 'GenuineIntel';
  if (!intel && vendor !== 'AuthenticAMD' && vendor !== 'HygonGenuine') return null;
  const flags = new Set(flagsLine.trim().split(/\s+/));
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) return 'SkylakeX';
  if (intel && flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

/** The core type this process set (null: the user's OPENBLAS_CORETYPE or OpenBLAS's own detection). */
let chosen: string | null = null;

/** Sets OPENBLAS_CORETYPE from the CPU flags unless already set; call before loading OpenBLAS. */
export function chooseOpenblasCore(): string | null {
  if (process.env.OPENBLAS_CORETYPE !== undefined || process.platform !== 'linux' || process.arch !== 'x64') return null;
  let cpuinfo: string;
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  chosen = openblasCoreFor(cpuinfo);
  if (chosen) process.env.OPENBLAS_CORETYPE = chosen;
  return chosen;
}

export function chosenOpenblasCore(): string | null {
  return chosen;
}
