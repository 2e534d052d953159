import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of the table: our figure against its floor, measured in the same run. */
export interface Row {
  readonly section: string;
  readonly name: string;
  readonly unit: string;
  readonly ours: number;
  /** NaN when the figure has no floor (an absolute goal instead). */
  readonly floor: number;
  /** Median over repetitions of ours/floor; NaN when there is no floor. */
  readonly ratio: number;
  readonly note?: string;
}

const fmt = (value: number): string => {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  return value.toFixed(3);
};

export function printTable(rows: readonly Row[]): void {
  const header = ['section', 'figure', 'unit', 'ours', 'floor', 'ratio', 'note'];
  const cells = rows.map((r) => [
    r.section,
    r.name,
    r.unit,
    fmt(r.ours),
    fmt(r.floor),
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : '-',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

export function machine(): Record<string, unknown> {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Writes bench/results/<timestamp>.json and latest.json (the directory is git-ignored). */
export function writeResults(document: Record<string, unknown>): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return file;
}
