import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
let loaded: Yaml | undefined;

/**
 * The yaml package, loaded the first time this thread parses YAML. A running service parses its
 * YAML on the config parser's thread (parse-worker.ts), so its main thread never pays for the
 * module: about 9 MiB of RSS loaded alone here, for text read at start and at each reload.
 */
export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}

/** Whether this thread has loaded the yaml package (through yaml()). */
export function yamlLoaded(): boolean {
  return loaded !== undefined;
}
