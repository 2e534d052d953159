/** A strict reader of the Prometheus text exposition format: any line it cannot read fails the test. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** Sum of the values of `name` whose labels include `match`. */
  value(name: string, match?: Record<string, string>): number;
  has(name: string, match?: Record<string, string>): boolean;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name as string, type as string);
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`unreadable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    labelPair.lastIndex = 0;
    while (labelPair.lastIndex < body.length) {
      const pair = labelPair.exec(body);
      if (!pair) throw new Error(`unreadable labels in: ${line}`);
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    // Case-insensitive like Prometheus's own parser (Go's ParseFloat): prom-client writes "Nan".
    const raw = (m[3] as string).toLowerCase();
    const special: Record<string, number> = {
      nan: Number.NaN,
      '+inf': Number.POSITIVE_INFINITY,
      inf: Number.POSITIVE_INFINITY,
      '-inf': Number.NEGATIVE_INFINITY,
    };
    const value = raw in special ? (special[raw] as number) : Number(raw);
    if (!(raw in special) && (raw.trim() === '' || Number.isNaN(value))) throw new Error(`unreadable value in: ${line}`);
    samples.push({ name: m[1] as string, labels, value });
  }
  const matching = (name: string, match: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return {
    types,
    samples,
    value: (name, match = {}) => matching(name, match).reduce((sum, s) => sum + s.value, 0),
    has: (name, match = {}) => matching(name, match).length > 0,
  };
}
