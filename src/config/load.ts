import { readFileSync } from 'node:fs';
import convict from 'convict';
import { parseDocument } from 'yaml';
import type { ProbeMode } from '../probe/types.js';
import { ConfigError } from '../util/errors.js';
import { type HostPort, parseHostPort } from '../util/hostport.js';
import type { captureModes, logLevels } from './formats.js';
import { isMapping, unknownKeyProblem } from './keys.js';
import { type RawConfig, schema, typedSchema } from './schema.js';
import { type TargetConfig, type TargetSettings, validateTargets } from './targets.js';

export interface Config {
  /** Where it came from: a file path, or "built-in defaults". */
  readonly source: string;
  readonly log: { readonly level: (typeof logLevels)[number] };
  readonly responder: Omit<RawConfig['responder'], 'listen'> & { readonly listen: HostPort };
  readonly web: { readonly listenAddress: HostPort; readonly enableLifecycle: boolean };
  readonly icmp: { readonly capture: (typeof captureModes)[number] };
  readonly defaults: TargetSettings;
  readonly targets: readonly TargetConfig[];
  /** Globs of file_sd target files, resolved against the config file's directory. */
  readonly targetFiles: readonly string[];
  readonly mesh: Omit<RawConfig['mesh'], 'peers'> & { readonly peers: readonly string[] };
}

export type { TargetConfig, TargetSettings };

type Env = Record<string, string | undefined>;

/** Reads, parses and validates a YAML or JSON file; every problem is named with the file and key. */
export function loadConfigFile(path: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read the file: ${(error as Error).message}`], { cause: error });
  }
  return loadConfig(parseConfigText(text, path), path, env);
}

export function parseConfigText(text: string, source: string): unknown {
  if (/\.json$/i.test(source)) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`${source}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `${source}: not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`));
  }
  return doc.toJS() ?? {};
}

/** Validates an already-parsed document; environment variables override scalar keys. */
export function loadConfig(document: unknown, source: string, env: Env = process.env): Config {
  if (!isMapping(document)) throw new ConfigError([`${source}: the top level must be a mapping of keys`]);
  const problems = unknownKeyProblems(document, schema as unknown as Record<string, unknown>, '');
  const config = convict(typedSchema, { env, args: [] });
  // Sections that are not mappings were reported above; convict cannot merge them.
  const loadable = Object.fromEntries(
    Object.entries(document).filter(([k, v]) => {
      const spec = (schema as unknown as Record<string, Record<string, unknown> | undefined>)[k];
      return spec !== undefined && ('doc' in spec || isMapping(v));
    }),
  );
  try {
    config.load(loadable);
    config.validate({ allowed: 'warn', output: () => {} });
  } catch (error) {
    for (const line of (error as Error).message.split('\n')) problems.push(withEnvHint(line, env));
  }
  const raw = config.getProperties();
  const defaults = raw.defaults as TargetSettings;
  const { targets, problems: targetProblems } = Array.isArray(raw.targets)
    ? validateTargets(raw.targets, defaults)
    : { targets: [], problems: [] };
  problems.push(...targetProblems);
  const peers = raw.mesh.peers
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const peer of peers) {
    const parsed = parseHostPort(peer, raw.mesh.port);
    if (typeof parsed === 'string') problems.push(`mesh.peers: ${parsed}`);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${p}`));
  return deepFreeze({
    source,
    log: raw.log as Config['log'],
    responder: { ...raw.responder, listen: parseHostPort(raw.responder.listen, undefined, true) as HostPort },
    web: { listenAddress: parseHostPort(raw.web.listenAddress, undefined, true) as HostPort, enableLifecycle: raw.web.enableLifecycle },
    icmp: raw.icmp as Config['icmp'],
    defaults: { ...defaults, mode: defaults.mode as ProbeMode },
    targets,
    targetFiles: raw.targetFiles,
    mesh: { ...raw.mesh, peers },
  });
}

export function defaultConfig(env: Env = process.env): Config {
  return loadConfig({}, 'built-in defaults', env);
}

/** Walks the document against the schema: a key the schema does not declare is a problem. */
function unknownKeyProblems(value: Record<string, unknown>, node: Record<string, unknown>, path: string): string[] {
  const problems: string[] = [];
  const known = Object.keys(node);
  for (const [key, child] of Object.entries(value)) {
    const spec = node[key];
    if (spec === undefined) problems.push(unknownKeyProblem(path, key, known));
    else if (isMapping(spec) && !('doc' in spec)) {
      const full = path === '' ? key : `${path}.${key}`;
      if (isMapping(child)) problems.push(...unknownKeyProblems(child, spec, full));
      else if (child !== null) problems.push(`${full}: must be a mapping of keys (${Object.keys(spec).join(', ')})`);
    }
  }
  return problems;
}

/** Convict names the key; say when its value came from an environment variable. */
function withEnvHint(line: string, env: Env): string {
  const key = line.split(':', 1)[0] ?? '';
  const [section, name] = key.split('.');
  const spec = section && name ? (schema as unknown as Record<string, Record<string, { env?: string }>>)[section]?.[name] : undefined;
  return spec?.env && env[spec.env] !== undefined ? `${line} (from environment variable ${spec.env})` : line;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
