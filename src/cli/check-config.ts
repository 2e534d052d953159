import { loadConfigFile } from '../config/load.js';
import { ConfigError, UsageError } from '../util/errors.js';
import { type Io, parse } from './io.js';

/** `tcpping check-config FILE`: 0 if valid, 1 with every problem named, 2 on usage errors. */
export function checkConfig(args: string[], io: Io): number {
  const { positionals } = parse('check-config', args, {}, true);
  if (positionals.length !== 1) throw new UsageError('tcpping check-config: expected exactly one FILE');
  const file = positionals[0] as string;
  try {
    const config = loadConfigFile(file);
    io.out(`${file}: valid (${config.targets.length} target${config.targets.length === 1 ? '' : 's'})`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.err(problem);
    return 1;
  }
}
