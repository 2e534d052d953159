import { builtInDefaults } from '../config/load.js';
import { schema } from '../config/schema.js';
import { Responder } from '../responder/responder.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { type CommandSpec, type Flags, numberFlag, parseFlags, textFlag } from './flags.js';
import { type Io, untilInterrupted } from './io.js';

const defaults = builtInDefaults.responder;
const docs = schema.responder;
/** The schema's sentence without its full stop (and lower-cased unless it starts with a name such as HOST), as a flag's help. */
const doc = (text: string) => (/^[A-Z][a-z]/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text).replace(/\.$/, '');

export const serverSpec: CommandSpec = {
  name: 'server',
  operands: '',
  operandCount: [0, 0],
  summary: 'The seed\'s ping server, standalone: answers each "ping SEQ TIME" line upper-cased, prints "Ping received from ADDR" per ping.',
  notes: ['Ctrl-C or SIGTERM stops it, exit 0. The same server runs inside `tcpping serve` (responder.* keys).'],
};

export const serverFlags = {
  listen: { long: 'listen', value: 'HOST:PORT', doc: doc(docs.listen.doc), default: formatHostPort(defaults.listen), parse: textFlag },
  dropRate: { long: 'drop-rate', value: 'RATIO', doc: doc(docs.dropRate.doc), default: defaults.dropRate, parse: numberFlag(0, 1) },
  delayMs: { long: 'delay-ms', value: 'MS', doc: doc(docs.delayMs.doc), default: defaults.delayMs, parse: numberFlag(0, 60_000) },
  jitterMs: { long: 'jitter-ms', value: 'MS', doc: doc(docs.jitterMs.doc), default: defaults.jitterMs, parse: numberFlag(0, 60_000) },
} satisfies Flags;

/** `tcpping server`: the seed's ping server, standalone, printing one line per ping. Its defaults are the service's. */
export async function runServer(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags(serverSpec, serverFlags, args);
  const listen = parseHostPort(values.listen, defaults.listen.port, true);
  if (!listen.ok) throw new UsageError(`tcpping server: --listen "${values.listen}": ${listen.error} (see tcpping server --help)`);
  const { dropRate, delayMs, jitterMs } = values;
  const { enabled: _enabled, listen: _listen, ...limits } = defaults;
  const responder = new Responder({
    ...limits,
    dropRate,
    delayMs,
    jitterMs,
    events: {
      ping: (remote, dropped) => io.out(`Ping received from ${remote}${dropped ? ' (dropped: simulated loss)' : ''}`),
      badRequest: (reason, remote) => io.err(`Cut off ${remote}: ${reason.replace(/_/g, ' ')}`),
    },
  });
  const address = await responder.listen(listen.value.host, listen.value.port);
  io.out(
    `tcpping server listening on ${formatHostPort({ host: address.address, port: address.port })}, ` +
      `dropping ${Math.round(dropRate * 1000) / 10}% of pings${delayMs || jitterMs ? `, delay ${delayMs} ms + jitter up to ${jitterMs} ms` : ''}`,
  );
  await untilInterrupted(io);
  await responder.stop();
  return 0;
}
