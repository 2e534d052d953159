/**
 * Writes the README's generated parts from the code that defines them: the configuration table
 * from the schema. `npm run readme`; a test fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../src/config/table.js';

export const generated = { 'config-table': configTable } as const;

/** The README with every generated block between its markers replaced. */
export function withGeneratedParts(readme: string): string {
  let text = readme;
  for (const [name, render] of Object.entries(generated)) {
    const start = `<!-- generated: ${name} (npm run readme) -->`;
    const end = `<!-- end: ${name} -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from === -1 || to < from) throw new Error(`README.md has no "${start}" … "${end}" block`);
    text = `${text.slice(0, from + start.length)}\n${render()}\n${text.slice(to)}`;
  }
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, withGeneratedParts(readFileSync(path, 'utf8')));
}
