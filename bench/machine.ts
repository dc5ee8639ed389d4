/** A description of the machine a benchmark or reproduction ran on, stored with its results. */
import * as os from 'node:os';
import { describeBackend } from '../simulator/kernels/select';
import type { Kernels } from '../simulator/kernels/kernels';

export function machineInfo(kernels: Kernels) {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    backend: describeBackend(kernels),
  };
}
