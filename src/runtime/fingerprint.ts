import { createHash } from 'node:crypto';
import { readConfigFile } from '../config/read-file.js';
import { expandPattern } from '../config/target-files.js';

/**
 * A digest of everything a reload reads: the config file and every target file its patterns match
 * now. Equal digests mean a reload would change nothing, so a storm of SIGHUPs over unchanged files
 * costs a few reads instead of parsing, validating and diffing 1,000 targets each time (tens of ms
 * of the event loop).
 */
export function fingerprint(configFile: string, patterns: readonly string[], baseDir: string): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    const text = readConfigFile(file);
    hash.update(`${file}\0${text.ok ? `ok\0${text.value}` : `error\0${text.error}`}\0`);
  };
  add(configFile);
  for (const file of new Set(patterns.flatMap((p) => expandPattern(p, baseDir)))) add(file);
  return hash.digest('hex');
}
