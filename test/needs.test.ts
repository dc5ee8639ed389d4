/**
 * test/needs.ts in CI: a test needing a missing program fails naming the package, for a plain test and
 * for every row of `needs.each(table)` alike (not a file that cannot load).
 */
import { testNeeding } from './needs';

test('in CI a missing program makes needs(…) and needs.each(…) register tests that fail with the package to install', () => {
  const registered: Array<[string, () => unknown]> = [];
  const fake = (name: string, fn: () => unknown) => registered.push([name, fn]);
  fake.each = (table: unknown[][]) => (name: string, fn: (...row: unknown[]) => unknown) =>
    table.forEach((row) => registered.push([`${name} ${row.join(' ')}`, () => fn(...row)]));
  const g = globalThis as unknown as { test: jest.It };
  const realTest = g.test;
  const ci = process.env.CI;
  g.test = fake as unknown as jest.It;
  process.env.CI = 'true';
  try {
    const needs = testNeeding([['fre-no-such-program-for-needs-test', ['--version']]], 'fre-no-such-package');
    needs('plain', () => undefined);
    needs.each([[1], [2]])('row', () => undefined);
  } finally {
    g.test = realTest;
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  }
  expect(registered.map(([n]) => n)).toEqual(['plain', 'row 1', 'row 2']);
  for (const [, fn] of registered)
    expect(fn).toThrow('fre-no-such-program-for-needs-test not available: CI must install fre-no-such-package');
});
