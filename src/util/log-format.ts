/** pino's level numbers, as the other formats name them. */
const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields every JSON record carries that add nothing to a line read by a person or a log shipper's labels. */
const dropped = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

/** key=value pairs; nested objects flatten to dotted keys (rtt.min=0.001), an error to its message. */
function fields(record: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (prefix: string, value: unknown) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix === '' ? k : `${prefix}.${k}`, v);
    } else out.push([prefix, value]);
  };
  for (const [key, value] of Object.entries(record)) {
    if (dropped.has(key)) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) out.push(['err', (value as { message?: unknown }).message]);
    else walk(key, value);
  }
  return out;
}

/** A logfmt value: bare when it is a plain word, else quoted with JSON escapes (newlines stay on one line). */
function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}

const pairs = (record: Record<string, unknown>) => fields(record).map(([k, v]) => `${k}=${logfmtValue(v)}`);
const levelOf = (record: Record<string, unknown>) => levelNames[record.level as number] ?? String(record.level);
const isoTime = (record: Record<string, unknown>) => new Date(typeof record.time === 'number' ? record.time : Date.now()).toISOString();

/** `ts=2026-01-02T03:04:05.678Z level=info msg="ping responder listening" address=127.0.0.1:11000`. */
export function logfmtLine(record: Record<string, unknown>): string {
  return `${[`ts=${isoTime(record)}`, `level=${levelOf(record)}`, `msg=${logfmtValue(record.msg ?? '')}`, ...pairs(record)].join(' ')}\n`;
}

/** `2026-01-02 03:04:05.678 WARN  target degraded: web ...  target=web lossRatio=0.25`: one line, for a terminal. */
export function humanLine(record: Record<string, unknown>): string {
  const time = isoTime(record).replace('T', ' ').replace('Z', '');
  const message = String(record.msg ?? '').replace(/\n/g, ' ⏎ ');
  const rest = pairs(record);
  return `${time} ${levelOf(record).toUpperCase().padEnd(5)} ${message}${rest.length > 0 ? `  ${rest.join(' ')}` : ''}\n`;
}
