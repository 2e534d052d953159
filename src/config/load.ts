import convict from 'convict';
import type { Target } from '../domain/target.js';
import { ConfigError } from '../util/errors.js';
import { deepFreeze } from '../util/freeze.js';
import { formatHostPort } from '../util/hostport.js';
import { Pace } from '../util/pace.js';
import { parseOffThread, type Streamed, type Syntax, streamOffThread } from './parse-worker.js';
import { readConfigBytesAsync, readConfigFile } from './read-file.js';
import { envName, isSetting, type SchemaValues, schema, setAt, settingPaths, valueAt } from './schema.js';
import { isMapping, unknownKeyProblem } from './suggest.js';
import { type TargetStep, validateTargetSteps } from './target-entries.js';
import { yaml } from './yaml-module.js';

/** The configuration, validated and frozen. */
export type Config = Omit<SchemaValues, 'targets'> & {
  /** Where it came from: a file path, or "built-in defaults". */
  readonly source: string;
  readonly targets: readonly Target[];
};

type Env = Record<string, string | undefined>;

/** Reads, parses and validates a YAML or JSON file; every problem is named with the file and key. */
export function loadConfigFile(path: string, env: Env = process.env): Config {
  const text = readConfigFile(path);
  if (!text.ok) throw new ConfigError([`${path}: ${text.error}`]);
  return loadConfig(parseConfigText(text.value, path), path, env);
}

/** Anchors and aliases are fine for sharing a few settings; thousands are an expansion attack. */
const MAX_ALIASES = 100;
/** A JSON document this small parses in about a millisecond here; larger ones go to the worker thread. */
const INLINE_BYTES = 16 * 1024;

/** Whether a document is parsed on this thread: small JSON only; YAML goes to the parser's thread whatever its size (see yaml-module.ts). */
const inline = (syntax: Syntax, bytes: Uint8Array) => syntax === 'json' && bytes.length <= INLINE_BYTES;

/**
 * As parseConfigText, for a file's bytes (UTF-8): YAML, and JSON over INLINE_BYTES, is decoded and
 * parsed on a worker thread, so pings in flight are not held up (decoding 780 kB into a string
 * alone took 2.6 ms here) and this thread never loads the yaml package.
 */
export async function parseConfigBytesAsync(bytes: Uint8Array, source: string): Promise<unknown> {
  const syntax = syntaxOf(source);
  if (inline(syntax, bytes)) return parseConfigText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), source);
  const parsed = await parseOffThread(bytes, syntax, MAX_ALIASES);
  if (!parsed.ok) throw new ConfigError(parsed.errors.map((e) => `${source}: ${e}`));
  return parsed.value;
}

/**
 * loadConfigFile for a running service: the file read and parsed without holding up the event
 * loop for long, a large one parsed off the loop and its targets checked as they come in (see
 * validateTargetSteps). Targets equal to one of `previous` (the running config's) come back as those objects.
 */
export async function loadConfigFileAsync(path: string, env: Env = process.env, previous: readonly Target[] = []): Promise<Config> {
  const bytes = await readConfigBytesAsync(path);
  if (!bytes.ok) throw new ConfigError([`${path}: ${bytes.error}`]);
  const syntax = syntaxOf(path);
  if (inline(syntax, bytes.value)) return loadConfigAsync(parseConfigText(bytes.value.toString('utf8'), path), path, env, previous);
  const head = await streamOffThread(bytes.value, syntax, MAX_ALIASES);
  if (!head.ok) throw new ConfigError(head.errors.map((e) => `${path}: ${e}`));
  try {
    return await loadConfigAsync(head.value, path, env, previous, head);
  } finally {
    head.close();
  }
}

/** JSON by its extension; YAML for .yaml, .yml or no extension; anything else is named, not misread as YAML. */
function syntaxOf(source: string): Syntax {
  const extension = /\.([^./\\]+)$/.exec(source)?.[1]?.toLowerCase();
  if (extension !== undefined && !['json', 'yaml', 'yml'].includes(extension)) {
    throw new ConfigError([`${source}: .${extension} files are not read: write the config as .yaml, .yml or .json`]);
  }
  return extension === 'json' ? 'json' : 'yaml';
}

/** Parses a config document by its file's syntax (see syntaxOf); every problem names `source`. */
export function parseConfigText(text: string, source: string): unknown {
  if (syntaxOf(source) === 'json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`${source}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.slice(0, 10).map((e) => `${source}: not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`),
    );
  }
  try {
    // The yaml package refuses a document whose aliases expand past a bound (an "alias bomb").
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (error) {
    throw new ConfigError([`${source}: not usable YAML: ${(error as Error).message}`]);
  }
}

/**
 * convict's view of the schema. Each check becomes a named format so that values from environment
 * variables (always strings) are coerced to the default's type before they are checked.
 */
const convictSchema = (() => {
  const out: Record<string, unknown> = {};
  for (const { path, setting } of settingPaths()) {
    const format = `tcpping:${path}`;
    convict.addFormat({
      name: format,
      validate: (value: unknown) => {
        const checked = setting.check(value);
        if (!checked.ok) throw new Error(checked.error);
      },
      coerce: coerceLike(setting.default),
    });
    const env = envName(path, setting);
    setAt(out, path, { doc: setting.doc, default: setting.default, format, ...(env ? { env } : {}) });
  }
  return out as convict.Schema<Record<string, unknown>>;
})();

function coerceLike(example: unknown): (text: string) => unknown {
  if (typeof example === 'number') return (text) => (/^\s*-?[\d.]+(e-?\d+)?\s*$/i.test(text) ? Number(text) : text);
  if (typeof example === 'boolean') return (text) => (text === 'true' ? true : text === 'false' ? false : text);
  return (text) => text;
}

/** Validates an already-parsed document; environment variables override scalar keys. */
export function loadConfig(document: unknown, source: string, env: Env = process.env): Config {
  const steps = loadSteps(document, source, env);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * loadConfig for a running service: the targets are checked ENTRIES_PER_STEP at a time with a
 * pause between (util/pace.ts), so a reload of 10,000 targets does not hold up pings in flight.
 * `rest`: the document's list of targets goes on in its pieces (streamOffThread).
 */
export async function loadConfigAsync(
  document: unknown,
  source: string,
  env: Env = process.env,
  previous: readonly Target[] = [],
  rest?: Pick<Streamed, 'pieces' | 'next'>,
): Promise<Config> {
  const steps = loadSteps(document, source, env, previous, rest?.pieces ?? 0);
  const pace = new Pace();
  let step = steps.next();
  while (!step.done) {
    if (step.value === 'more' && rest) {
      const piece = await rest.next();
      if (!piece.ok) throw new ConfigError(piece.errors.map((e) => `${source}: ${e}`));
      pace.begin();
      step = steps.next(piece.piece);
    } else {
      await pace.pause();
      step = steps.next();
    }
  }
  return step.value;
}

function* loadSteps(
  document: unknown,
  source: string,
  env: Env,
  previous: readonly Target[] = [],
  pieces = 0,
): Generator<TargetStep, Config, unknown[] | undefined> {
  if (!isMapping(document)) throw new ConfigError([`${source}: the top level must be a mapping of keys`]);
  const problems = unknownKeyProblems(document);
  const config = convict(convictSchema, { env, args: [] });
  // Sections that are not mappings were reported above; convict cannot merge them. The targets are
  // checked apart (below), not copied through convict's deep clones, which cost ms per thousand.
  const loadable = Object.fromEntries(
    Object.entries(document).filter(
      ([k, v]) => k !== 'targets' && k in schema && (isSetting(schema[k as keyof typeof schema]) || isMapping(v)),
    ),
  );
  try {
    config.load(loadable);
    config.validate({ allowed: 'warn', output: () => {} });
  } catch (error) {
    for (const line of (error as Error).message.split('\n')) problems.push(withEnvHint(line, env));
  }
  const raw = config.getProperties();
  const values: Record<string, unknown> = {};
  for (const { path, setting } of settingPaths()) {
    if (path === 'targets') continue;
    const checked = setting.check(valueAt(raw, path));
    // A value that failed its check was reported by convict; the default stands in so the rest can be checked.
    setAt(values, path, checked.ok ? checked.value : (setting.check(setting.default) as { value: unknown }).value);
  }
  const typed = values as Omit<SchemaValues, 'targets'>;
  const entries = 'targets' in document ? targetList(document.targets, problems) : selfTargets(typed.responder);
  const { targets, problems: targetProblems } = yield* validateTargetSteps(
    entries,
    typed.defaults,
    previous,
    'targets' in document ? pieces : 0,
  );
  problems.push(...targetProblems);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`));
  // Each target was frozen as it was checked.
  const settings = deepFreeze({ ...typed, source });
  return Object.freeze({ ...settings, targets: Object.freeze(targets) });
}

/** The `targets` key, checked as convict checks the others. */
function targetList(value: unknown, problems: string[]): readonly unknown[] {
  const checked = schema.targets.check(value);
  if (checked.ok) return checked.value;
  problems.push(`targets: ${checked.error}${value === null || value === undefined ? '' : `: value was ${JSON.stringify(value)}`}`);
  return [];
}

/**
 * Without a `targets` key the service pings its own responder, wherever responder.listen puts it
 * (a wildcard address through loopback); none when the responder is off or its port is chosen at start.
 */
function selfTargets(responder: SchemaValues['responder']): unknown[] {
  const { enabled, listen } = responder;
  if (!enabled || listen.port === 0) return [];
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return [{ name: 'self', address: formatHostPort({ host, port: listen.port }) }];
}

export function defaultConfig(env: Env = process.env): Config {
  return loadConfig({}, 'built-in defaults', env);
}

/** The built-in defaults, without environment overrides: what the standalone commands start from. */
export const builtInDefaults: Config = defaultConfig({});

/** Walks the document against the schema: a key the schema does not declare is a problem. */
function unknownKeyProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const known = Object.keys(schema);
  for (const [name, child] of Object.entries(document)) {
    const node = (schema as Record<string, unknown>)[name];
    if (node === undefined) {
      problems.push(unknownKeyProblem('', name, known));
      continue;
    }
    if (isSetting(node)) continue;
    const keys = Object.keys(node as object);
    if (isMapping(child)) {
      for (const key of Object.keys(child)) if (!keys.includes(key)) problems.push(unknownKeyProblem(name, key, keys));
    } else if (child !== null) {
      problems.push(`${name}: must be a mapping of keys (${keys.join(', ')})`);
    }
  }
  return problems;
}

/** Convict names the key; say when its value came from an environment variable. */
function withEnvHint(line: string, env: Env): string {
  const path = line.split(':', 1)[0] ?? '';
  const found = settingPaths().find((p) => p.path === path);
  const variable = found ? envName(path, found.setting) : undefined;
  return variable && env[variable] !== undefined ? `${line} (from environment variable ${variable})` : line;
}
