import { checkConfigFile } from '../config/check.js';
import { type CommandSpec, type Flags, parseFlags } from './flags.js';
import type { Io } from './io.js';

export const checkConfigSpec: CommandSpec = {
  name: 'check-config',
  operands: 'FILE...',
  operandCount: [1, Number.POSITIVE_INFINITY],
  summary:
    'Check config files as `tcpping serve` would load them: every key, environment variables included, and every target file\nthe targetFiles patterns match. Every problem is printed with its file and key, as promtool check config does.',
  notes: [
    "Exit status, as promtool's: 0 when every file is valid (warnings, such as a pattern that matches no file, are printed but pass),\n1 when any file has a problem (with --lint-fatal: a warning too), 2 on usage errors.",
  ],
};

export const checkConfigFlags = {
  lintFatal: { long: 'lint-fatal', doc: 'treat warnings as problems (exit 1), as promtool --lint-fatal' },
} satisfies Flags;

/** `tcpping check-config FILE...`: promtool's layout, on stdout for what passed and stderr for what did not. */
export async function checkConfig(args: string[], io: Io): Promise<number> {
  const { values, operands } = parseFlags(checkConfigSpec, checkConfigFlags, args);
  let failed = false;
  for (const file of operands) {
    io.out(`Checking ${file}`);
    const report = await checkConfigFile(file);
    for (const warning of report.warnings) io.err(`  WARNING: ${warning}`);
    for (const problem of report.problems) io.err(`  FAILED: ${problem}`);
    if (report.problems.length > 0 || (values.lintFatal && report.warnings.length > 0)) {
      failed = true;
      continue;
    }
    const total = report.configTargets + report.fileTargets;
    const from =
      report.files > 0
        ? ` (${report.configTargets} in the file, ${report.fileTargets} from ${report.files} target file${report.files === 1 ? '' : 's'})`
        : '';
    io.out(`  SUCCESS: ${file} is valid: ${total} target${total === 1 ? '' : 's'}${from}`);
  }
  return failed ? 1 : 0;
}
