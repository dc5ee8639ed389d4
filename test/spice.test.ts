/**
 * `fre export spice` against ngspice (Debian `ngspice`): arrays of examples/mnist-demo.json
 * compiled onto `reram` with 8×8, 32×32 and 64×64 arrays, a random input, both reads. Without
 * wire resistance the circuit's output currents equal the simulator's read (Σ (u+ − u−)·DAC(x),
 * computed here from the netlist's weights and the chip executor's own DAC quantiser) within
 * 0.1 % on every line; with 1 and 2.5 Ω per segment the IR-drop model (the effective weights the
 * executor would use) is within its documented tolerance (docs/spice.md) of ngspice, while the
 * ideal read is visibly off. 64×64 arrays with wire resistance take ngspice about a minute each
 * (its sparse solver on ~16k nodes), so they are in the bench (bench/spice.ts), not here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFiles } from '../compiler/compile-files';
import { readNetlistFile } from '../netlist/codec';
import { EXPORT_CODES, modelOutputs, outputErrors, parseNgspiceOutputs, randomInput, spiceArray, spiceCircuit } from '../netlist/spice';
import { edgeTiles, netlistParams } from '../netlist/tiles';
import type { NetlistMsg } from '../netlist/types';
import type { NetlistError } from '../netlist/diagnostics';
import { quantiser } from '../simulator/chip/periphery';
import { makeRng } from '../util/rng';
import { testNeeding } from './needs';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fre-spice-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const withNgspice = testNeeding([['ngspice', ['-v']]], 'ngspice');

/** Documented tolerance of the IR-drop model (docs/spice.md), of the largest output current. */
const LADDER_TOLERANCE = 0.005;

const cache = new Map<string, { file: string; netlist: NetlistMsg }>();
function compiled(n: number, ohm: number, cell = 'differential'): { file: string; netlist: NetlistMsg } {
  const key = `${cell}-${n}-${ohm}`;
  if (!cache.has(key)) cache.set(key, compile(n, ohm, cell));
  return cache.get(key)!;
}

function compile(n: number, ohm: number, cell: string): { file: string; netlist: NetlistMsg } {
  const chip = join(dir, `chip-${cell}-${n}-${ohm}.json`);
  writeFileSync(
    chip,
    JSON.stringify({
      base: 'reram',
      name: `reram-${n}`,
      crossbar: { rows: n, cols: cell === 'offset-column' ? n + 1 : n, cell, wireResistanceOhm: ohm },
      periphery: { adc: { linesPerAdc: Math.min(8, n) } },
      noc: { meshWidth: 16, meshHeight: 16 },
    }),
  );
  const file = join(dir, `net-${cell}-${n}-${ohm}.pb`);
  compileFiles({ spec: join(ROOT, 'examples', 'mnist-demo.json'), chip, out: file, wMax: { kind: 'max' } });
  return { file, netlist: readNetlistFile(file).netlist };
}

function ngspice(text: string, name: string): string {
  const cir = join(dir, name);
  writeFileSync(cir, text);
  const r = spawnSync('ngspice', ['-b', cir], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`ngspice failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/**
 * The simulator's ideal read of one array, in amperes, computed without the export's circuit code:
 * the array's weights as the chip executor gets them (netlistParams: (u+ − u−)·w_max), the input
 * through the executor's DAC quantiser, Σ over the tile, times Δg·V_read per normalised unit.
 */
function simulatorRead(n: NetlistMsg, id: number, read: 'forward' | 'transposed', input: Float64Array): Float64Array {
  const chip = n.chip!;
  const edge = edgeTiles(n).find((e) => e.weight.some((t) => t.array === id))!;
  const tile = edge.weight.find((t) => t.array === id)!;
  const W = netlistParams(n).W[edge.edge];
  const dac = chip.periphery!.dac!;
  const q = quantiser(dac.bits === 0 ? 'float' : dac.bits, dac.inputMin, dac.inputMax);
  const x = new Float32Array(input.length);
  q.apply(Float32Array.from(input), x, x.length);
  const amps =
    ((chip.crossbar!.gMaxUs - chip.crossbar!.gMinUs) * 1e-6 * dac.readVoltageV) / Math.max(Math.abs(dac.inputMin), Math.abs(dac.inputMax));
  const rows = tile.rowEnd - tile.rowBegin,
    cols = tile.colEnd - tile.colBegin;
  const out = new Float64Array(read === 'forward' ? rows : cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const w = W.data[(tile.rowBegin + r) * W.cols + tile.colBegin + c] / edge.wMax;
      if (read === 'forward') out[r] += w * x[c];
      else out[c] += w * x[r];
    }
  }
  return out.map((v) => v * amps);
}

describe('ngspice solves the exported array', () => {
  describe.each([8, 32, 64])('%i×%i arrays', (n) => {
    withNgspice("no wire resistance: every output current equals the simulator's read within 0.1 %", () => {
      const { file, netlist } = compiled(n, 0);
      const id = netlist.edges.find((e) => e.name === 'W1')!.arrays[0];
      const a = spiceArray(netlist, id, file);
      for (const read of ['forward', 'transposed'] as const) {
        const input = randomInput(a, read, makeRng(`t/${n}/${read}`));
        const c = spiceCircuit(a, read, input, file);
        const ng = parseNgspiceOutputs(ngspice(c.text, `ideal-${n}-${read}.cir`), c.outputs);
        const sim = simulatorRead(netlist, id, read, input);
        expect(ng).toHaveLength(n);
        const full = Math.max(...sim.map(Math.abs));
        expect(full).toBeGreaterThan(1e-7); // microamperes of signal, not an all-zero read
        for (let k = 0; k < n; k++) expect(Math.abs(ng[k] - sim[k])).toBeLessThanOrEqual(1e-3 * Math.abs(sim[k]) + 1e-7 * full);
      }
    });
  });

  describe.each([
    [8, 1],
    [8, 2.5],
    [32, 1],
    [32, 2.5],
  ])('%i×%i arrays, %f Ω per segment', (n, ohm) => {
    withNgspice(`the IR-drop model is within ${100 * LADDER_TOLERANCE} % of full scale; the ideal read is not`, () => {
      const { file, netlist } = compiled(n, ohm);
      const a = spiceArray(netlist, netlist.edges.find((e) => e.name === 'W1')!.arrays[0], file);
      for (const read of ['forward', 'transposed'] as const) {
        const c = spiceCircuit(a, read, randomInput(a, read, makeRng(`t/${n}/${read}`)), file);
        const ng = parseNgspiceOutputs(ngspice(c.text, `wired-${n}-${ohm}-${read}.cir`), c.outputs);
        expect(outputErrors(modelOutputs(a, read, c.dacInput, 'ladder'), ng).fullScale).toBeLessThan(LADDER_TOLERANCE);
        expect(outputErrors(modelOutputs(a, read, c.dacInput, 'exact'), ng).fullScale).toBeLessThan(1e-6);
        // The drop is real at this size: the ideal read misses it by more than the model's error.
        expect(outputErrors(modelOutputs(a, read, c.dacInput, 'ideal'), ng).fullScale).toBeGreaterThan(n === 8 ? 1e-3 : 1e-2);
      }
    });
  });

  withNgspice('offset-column arrays: the reference column is driven (forward) or subtracted (transposed)', () => {
    for (const ohm of [0, 2.5]) {
      const { file, netlist } = compiled(8, ohm, 'offset-column');
      const id = netlist.edges.find((e) => e.name === 'W1')!.arrays[0];
      const a = spiceArray(netlist, id, file);
      for (const read of ['forward', 'transposed'] as const) {
        const input = randomInput(a, read, makeRng(`o/${read}`));
        const c = spiceCircuit(a, read, input, file);
        const ng = parseNgspiceOutputs(ngspice(c.text, `offset-${ohm}-${read}.cir`), c.outputs);
        // The simulator's read of an offset-column array is Σ 2(u − ½)·x = (G − G_ref)/(Δg/2)·x.
        const sim = simulatorRead(netlist, id, read, input).map((v) => v / 2);
        expect(outputErrors(ohm === 0 ? sim : modelOutputs(a, read, c.dacInput, 'ladder'), ng).fullScale).toBeLessThan(
          ohm === 0 ? 1e-6 : LADDER_TOLERANCE,
        );
      }
    }
  });
});

describe('fre export spice', () => {
  const fre = (args: string[]) => spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
  beforeAll(() => {
    if (!existsSync(FRE)) throw new Error('dist/cli/main.js is missing: run `npx tsc -p .` (npm test does)');
  });

  test('writes the circuit of the array and input asked for', () => {
    const { file, netlist } = compiled(8, 1);
    const inp = join(dir, 'v.json');
    writeFileSync(inp, JSON.stringify([0.5, -0.25, 1, 0, 0.125, -1, 0.75, 0.3]));
    const out = join(dir, 'a.cir');
    const r = fre(['export', 'spice', file, '--array', '3', '--input', inp, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ngspice -b');
    const text = readFileSync(out, 'utf8');
    // 8×16 devices, 8·16 row-wire and 16·8 column-wire segments, 8 + 16 sources, 8 outputs.
    expect(text.split('\n').filter((l) => l.startsWith('RD'))).toHaveLength(128);
    expect(text.split('\n').filter((l) => l.startsWith('RW'))).toHaveLength(256);
    expect(text.split('\n').filter((l) => /^V[RC]\d+ /.test(l))).toHaveLength(24);
    // Forward read: column 2c at +DAC(x_c)·0.2 V, column 2c + 1 at −; the 8-bit DAC's levels over [−1, 1].
    const x = [0.5, -0.25, 1, 0, 0.125, -1, 0.75, 0.3];
    const level = (v: number) => -1 + Math.round((v + 1) / (2 / 255)) * (2 / 255);
    expect(level(0.5)).toBeCloseTo(0.498039, 6); // 191 steps of 2/255 above −1
    x.forEach((v, c) => {
      expect(text).toContain(`VC${2 * c} pc${2 * c} 0 DC ${(level(v) * 0.2).toPrecision(12)}\n`);
      expect(text).toContain(`VC${2 * c + 1} pc${2 * c + 1} 0 DC ${(-level(v) * 0.2).toPrecision(12)}\n`);
    });
    expect(text).toContain('VR0 pr0 0 DC 0\n');
    expect(netlist.arrays[3]).toBeDefined();
    // Seeded inputs are reproducible.
    const o1 = join(dir, 's1.cir'),
      o2 = join(dir, 's2.cir');
    expect(fre(['export', 'spice', file, '--array', '3', '--input-seed', '7', '--read', 'transposed', '-o', o1]).status).toBe(0);
    expect(fre(['export', 'spice', file, '--array', '3', '--input-seed', '7', '--read', 'transposed', '-o', o2]).status).toBe(0);
    expect(readFileSync(o1, 'utf8')).toBe(readFileSync(o2, 'utf8'));
  });

  test.each([
    ['EXP001', ['--array', '99999'], ['array 99999 does not exist', 'fre inspect']],
    ['EXP002', ['--array', '0', '--input', 'LEN'], ['has 3 values', 'drives its 8 columns', 'give 8 values']],
    ['EXP002', ['--array', '0', '--input', 'BAD'], ['JSON array of 8 finite numbers']],
    ['EXP002', ['--array', '0', '--input', 'MISSING'], ['cannot read the input vector', 'ENOENT']],
  ] as const)('%s: a coded error naming the file and the fix, no stack', (code, extra, inText) => {
    const { file } = compiled(8, 0);
    writeFileSync(join(dir, 'len.json'), '[1, 2, 3]');
    writeFileSync(join(dir, 'bad.json'), '[1, "x"]');
    const args = extra.map((s) =>
      s === 'LEN' ? join(dir, 'len.json') : s === 'BAD' ? join(dir, 'bad.json') : s === 'MISSING' ? join(dir, 'none.json') : s,
    );
    const out = join(dir, `err-${code}.cir`);
    const r = fre(['export', 'spice', file, ...args, '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error ${code}`);
    for (const s of inText) expect(r.stderr).toContain(s);
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(out)).toBe(false);
  });

  test('EXP001 for an array no edge lists: the path is dotted (arrays.0), as in the NET diagnostics', () => {
    const n = structuredClone(compiled(8, 0).netlist);
    for (const e of n.edges) e.arrays = e.arrays.filter((a) => a !== 0);
    let thrown: unknown;
    try {
      spiceArray(n, 0, 'orphan.pb');
    } catch (err) {
      thrown = err;
    }
    expect((thrown as NetlistError).diagnostics.map((d) => [d.code, d.path])).toEqual([['EXP001', 'arrays.0']]);
  });

  test('every export code has a case', () => {
    expect(Object.keys(EXPORT_CODES).sort()).toEqual(['EXP001', 'EXP002']);
  });
});
