/**
 * `fre export spice NET.pb --array ID [--input v.json | --input-seed S] [--read forward|transposed] -o out.cir`:
 * one array of a compiled netlist as a SPICE circuit a chip team can simulate (docs/spice.md).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { ReadKind } from '../hw-models/crossbar-circuit';
import { readNetlistFile } from '../netlist/codec';
import { checkInput, exportError, randomInput, spiceArray, spiceCircuit } from '../netlist/spice';
import { makeRng } from '../util/rng';
import { UsageError } from './errors';

export interface ExportSpiceArgs {
  netlist: string;
  array: number;
  input?: string;
  inputSeed?: number;
  read: ReadKind;
  out: string;
}

export function exportCommands<T>(y: Argv<T>) {
  return y
    .command(
      'spice <netlist>',
      'one array as a SPICE circuit: devices as resistors, wire segments, DAC drivers, virtual-ground sense nodes; ngspice -b solves it',
      (b) =>
        b
          .positional('netlist', { type: 'string', demandOption: true, describe: 'netlist (.pb)' })
          .option('array', { type: 'number', demandOption: true, describe: 'array id (fre inspect lists them)' })
          .option('input', { type: 'string', describe: 'input vector (JSON array, state units, one value per driven line)' })
          .option('input-seed', {
            type: 'number',
            describe: 'instead of --input: a uniform random input over the DAC range from this seed (default 0)',
          })
          .option('read', {
            choices: ['forward', 'transposed'] as const,
            default: 'forward' as const,
            describe: 'forward: drive columns, sense rows; transposed: drive rows, sense columns',
          })
          .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'circuit to write (.cir)' }),
      (a) => runExportSpice(a as unknown as ExportSpiceArgs),
    )
    .demandCommand(1, 'name what to export: spice');
}

export function runExportSpice(a: ExportSpiceArgs): void {
  if (a.input !== undefined && a.inputSeed !== undefined) throw new UsageError('give --input or --input-seed, not both');
  const { netlist } = readNetlistFile(a.netlist);
  const arr = spiceArray(netlist, a.array, a.netlist);
  let input: Float64Array;
  if (a.input !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(a.input, 'utf8'));
    } catch (err) {
      throw exportError(
        'EXP002',
        a.input,
        '',
        `cannot read the input vector (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        'give a JSON file holding an array of numbers, one per driven line',
      );
    }
    input = checkInput(raw, arr, a.read, a.input);
  } else {
    input = randomInput(arr, a.read, makeRng(`spice-input/${a.inputSeed ?? 0}`));
  }
  const c = spiceCircuit(arr, a.read, input, a.netlist);
  writeAtomically(a.out, c.text);
  process.stdout.write(
    `${a.out}: array ${a.array} (edge ${arr.edgeName}, ${arr.units.rows}×${arr.units.cols} ${arr.chip.crossbar.cell} cells, ` +
      `${arr.chip.crossbar.wireResistanceOhm} Ω per wire segment), ${a.read} read, ${c.outputs.length} output currents; solve with: ngspice -b ${a.out}\n`,
  );
}

/** Readers never see a half-written circuit: write a sibling temporary file, fsync, rename over. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw new UsageError(
      `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check that its folder exists and is writable`,
    );
  }
}
