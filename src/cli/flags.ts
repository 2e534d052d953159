import { UsageError } from '../util/errors.js';

/**
 * A command's flags, described once: the parser, the help text and the usage errors are derived
 * from this. Parsing follows getopt as ping(8) does: a flag that takes a value takes the next
 * argument whatever it looks like (`-c -1` is a bad count, not a missing one), `-c5` and
 * `--count=5` work, switches group (`-qD`), and `--` ends the flags.
 */
export interface Flag<T> {
  readonly long: string;
  readonly short?: string;
  /** The value's name in help (COUNT, SECONDS); absent for a switch. */
  readonly value?: string;
  readonly doc: string;
  /** Shown in help as "(default ...)"; also the value when the flag is absent. */
  readonly default?: T;
  /** Turns the text into the value, or says what is wrong ("must be ..."). A switch has none. */
  readonly parse?: (text: string) => { ok: true; value: T } | { ok: false; error: string };
}

export interface CommandSpec {
  readonly name: string;
  /** What follows the flags in the synopsis: "HOST[:PORT]", "FILE", "". */
  readonly operands: string;
  readonly operandCount: readonly [min: number, max: number];
  readonly summary: string;
  /** Paragraphs after the flags: exit status, examples. */
  readonly notes?: readonly string[];
}

export type Flags = Readonly<Record<string, Flag<unknown>>>;
type Parsed<X> = X extends { readonly parse: (text: string) => infer R } ? (R extends { ok: true; value: infer V } ? V : never) : string;
/** A switch is a boolean; a flag with a default always has a value; one without may be undefined. */
export type FlagValues<F extends Flags> = {
  -readonly [K in keyof F]: F[K] extends { readonly value: string }
    ? F[K] extends { readonly default: unknown }
      ? Parsed<F[K]>
      : Parsed<F[K]> | undefined
    : boolean;
};

/** How a flag is written in messages: "-c" when it has a short form, else "--long". */
export function flagName(flag: Flag<unknown>): string {
  return flag.short ? `-${flag.short}` : `--${flag.long}`;
}

function usageError(command: string, message: string): UsageError {
  return new UsageError(`tcpping ${command}: ${message} (see tcpping ${command} --help)`);
}

/** Parses `args`; `--help`/`-h` is answered by the caller before this runs. */
export function parseFlags<F extends Flags>(
  spec: CommandSpec,
  flags: F,
  args: readonly string[],
): { values: FlagValues<F>; operands: string[] } {
  const byLong = new Map(Object.entries(flags).map(([key, f]) => [f.long, key]));
  const byShort = new Map(Object.entries(flags).flatMap(([key, f]) => (f.short ? [[f.short, key] as const] : [])));
  const texts = new Map<string, string | true>();
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const takeValue = (key: string, shown: string, inline: string | undefined): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) throw usageError(spec.name, `${shown} needs a value: ${shown} ${(flags[key] as Flag<unknown>).value}`);
      return next;
    };
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const [name = '', inline] = splitOnce(arg.slice(2), '=');
      const key = byLong.get(name);
      if (key === undefined) throw usageError(spec.name, `unknown flag --${name}`);
      const flag = flags[key] as Flag<unknown>;
      if (!flag.value && inline !== undefined) throw usageError(spec.name, `--${name} takes no value (got "${inline}")`);
      texts.set(key, flag.value ? takeValue(key, `--${name}`, inline) : true);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A group of switches, the last of which may take a value: -qD, -c5, -qc 5.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const key = byShort.get(letter);
        if (key === undefined) throw usageError(spec.name, `unknown flag -${letter}`);
        const flag = flags[key] as Flag<unknown>;
        if (!flag.value) {
          texts.set(key, true);
          continue;
        }
        texts.set(key, takeValue(key, `-${letter}`, j + 1 < arg.length ? arg.slice(j + 1) : undefined));
        break;
      }
    } else {
      operands.push(arg);
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(flags)) {
    const text = texts.get(key);
    if (!flag.value) values[key] = text === true;
    else if (text === undefined) values[key] = flag.default;
    else values[key] = convert(spec.name, flag, text as string);
  }
  const [min, max] = spec.operandCount;
  if (operands.length < min) throw usageError(spec.name, `missing ${spec.operands}`);
  if (operands.length > max)
    throw usageError(spec.name, `unexpected argument "${operands[max]}"${max > 0 ? ` after ${spec.operands}` : ''}`);
  return { values: values as FlagValues<F>, operands };
}

function convert(command: string, flag: Flag<unknown>, text: string): unknown {
  if (!flag.parse) return text;
  const parsed = flag.parse(text);
  if (!parsed.ok) throw usageError(command, `${flagName(flag)} "${text}": ${parsed.error}`);
  return parsed.value;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** A number from min to max (`integer`: whole); `hint` completes the message, e.g. "0: until Ctrl-C". */
export function numberFlag(min: number, max: number, options: { integer?: boolean; hint?: string } = {}) {
  return (text: string): { ok: true; value: number } | { ok: false; error: string } => {
    const value = Number(text);
    const whole = options.integer ? 'a whole number' : 'a number';
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (options.integer && !Number.isInteger(value))) {
      return { ok: false, error: `must be ${whole} from ${min} to ${max}${options.hint ? ` (${options.hint})` : ''}` };
    }
    return { ok: true, value };
  };
}

/** One of a fixed set of words. */
export function wordFlag<const T extends string>(words: readonly T[]) {
  return (text: string): { ok: true; value: T } | { ok: false; error: string } =>
    (words as readonly string[]).includes(text) ? { ok: true, value: text as T } : { ok: false, error: `must be ${words.join(' or ')}` };
}

export const textFlag = (text: string) => ({ ok: true as const, value: text });
