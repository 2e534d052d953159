import { type CommandSpec, type Flag, type Flags, flagName } from './flags.js';

/** "-c COUNT", "--mode MODE", "-q, --quiet". */
function flagColumn(flag: Flag<unknown>): string {
  const names = flag.short ? `-${flag.short}, --${flag.long}` : `    --${flag.long}`;
  return flag.value ? `${names} ${flag.value}` : names;
}

function shownDefault(value: unknown): string {
  if (value === undefined || value === false) return '';
  return ` (default ${value === '' ? '""' : String(value)})`;
}

/** The synopsis line: "tcpping client [-c COUNT] ... HOST[:PORT]". */
export function synopsis(spec: CommandSpec, flags: Flags): string {
  const parts = Object.values(flags).map((f) => `[${flagName(f)}${f.value ? ` ${f.value}` : ''}]`);
  return ['tcpping', spec.name, ...parts, spec.operands].filter((p) => p !== '').join(' ');
}

/** `tcpping help CMD`, `tcpping CMD --help`: what it does, every flag with its default, notes. */
export function commandHelp(spec: CommandSpec, flags: Flags): string {
  const rows = [
    ...Object.values(flags).map((f) => [flagColumn(f), `${f.doc}${shownDefault(f.default)}`] as const),
    ['-h, --help', 'this help'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `Usage: ${synopsis(spec, flags)}`,
    '',
    spec.summary,
    '',
    'Flags:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    ...(spec.notes ?? []).flatMap((note) => ['', note]),
  ].join('\n');
}
