/** `fre validate NET.pb [--chip PRESET|chip.json]`: schema and semantic checks; exit 0 valid, 1 not. */
import type { Argv } from 'yargs';
import { NetlistError } from '../compiler/diagnostics';
import { readNetlistFile } from '../netlist/codec';
import { checkChipMatches, validateNetlist } from '../netlist/validate';
import { loadChip } from '../hw-models/load';

export interface ValidateArgs {
  netlist: string;
  chip?: string;
}

export function validateOptions<T>(y: Argv<T>) {
  return y
    .positional('netlist', { type: 'string', demandOption: true, describe: 'netlist (.pb)' })
    .option('chip', { type: 'string', describe: 'also require that it was compiled for this chip (preset or JSON)' });
}

export async function runValidate(a: ValidateArgs): Promise<void> {
  const { netlist, bytes } = readNetlistFile(a.netlist);
  const { diagnostics } = validateNetlist(netlist, a.netlist);
  if (a.chip) diagnostics.push(...checkChipMatches(netlist, loadChip(a.chip), a.chip, a.netlist));
  if (diagnostics.length) throw new NetlistError(diagnostics);
  process.stdout.write(
    `${a.netlist}: valid netlist (ir_version ${netlist.irVersion}, ${netlist.opsetImport.map((o) => `${o.domain} v${o.version}`).join(', ')}; ` +
      `${netlist.graphName} on chip ${netlist.chip?.name}; ${netlist.arrays.length} arrays, ${netlist.cores.length} cores; ${bytes.length} bytes)\n`,
  );
}
