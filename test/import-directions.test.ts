/**
 * Imports flow one way (docs/ARCHITECTURE.md): cli → sweep → simulator | compiler → netlist →
 * graph | hw-models | datasets → io | plot → util. The netlist package is read by the compiler and
 * the simulator alike and imports neither; the simulator never reads the compiler (it executes the
 * netlist), and the compiler never reads the simulator.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

/** Folder → the project folders its sources may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  io: ['util'],
  plot: ['util'],
  'hw-models': ['util', 'io'],
  graph: ['util', 'io'],
  datasets: ['util', 'io', 'graph'],
  netlist: ['util', 'io', 'graph', 'hw-models'],
  compiler: ['util', 'io', 'graph', 'hw-models', 'netlist'],
  simulator: ['util', 'io', 'graph', 'hw-models', 'netlist', 'datasets'],
  sweep: ['util', 'io', 'plot', 'graph', 'hw-models', 'netlist', 'datasets', 'compiler', 'simulator'],
  cli: ['util', 'io', 'plot', 'graph', 'hw-models', 'netlist', 'datasets', 'compiler', 'simulator', 'sweep'],
  // The public API's study helpers (index.ts re-exports them) sit beside the CLI, never inside it.
  api: ['util', 'io', 'plot', 'graph', 'hw-models', 'netlist', 'datasets', 'compiler', 'simulator', 'sweep'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Every project import of a file, as the top-level folder it lands in. */
function importedFolders(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:from\s+|import\(|require\()['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const rel = path.relative(ROOT, path.resolve(path.dirname(file), m[1]));
    out.push(rel.split(path.sep)[0]);
  }
  return out;
}

describe('import directions', () => {
  it('every folder imports only the folders below it', () => {
    const bad: string[] = [];
    for (const folder of Object.keys(ALLOWED)) {
      for (const file of sources(path.join(ROOT, folder))) {
        for (const target of importedFolders(file)) {
          if (target !== folder && !ALLOWED[folder].includes(target)) bad.push(`${path.relative(ROOT, file)} imports ${target}/`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('the checker sees a violation (a simulator file importing the compiler)', () => {
    const fake = path.join(ROOT, 'simulator', 'x.ts');
    const folders = (() => {
      const src = "import { compile } from '../compiler/pipeline';";
      return [...src.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map(
        (m) => path.relative(ROOT, path.resolve(path.dirname(fake), m[1])).split(path.sep)[0],
      );
    })();
    expect(folders).toEqual(['compiler']);
    expect(ALLOWED.simulator).not.toContain('compiler');
  });
});
