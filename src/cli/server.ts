import { Responder } from '../responder/responder.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { type Io, numberArg, parse, untilInterrupted } from './io.js';

/** `tcpping server`: the seed's ping server, standalone, printing one line per ping. */
export async function runServer(args: string[], io: Io): Promise<number> {
  const { values } = parse('server', args, {
    listen: { type: 'string', default: '127.0.0.1:11000' },
    'drop-rate': { type: 'string', default: '0.2' },
    'delay-ms': { type: 'string', default: '0' },
    'jitter-ms': { type: 'string', default: '0' },
  });
  const listen = parseHostPort(values.listen, 11000, true);
  if (typeof listen === 'string') throw new UsageError(`tcpping server: --listen: ${listen}`);
  const dropRate = numberArg('server', '--drop-rate', values['drop-rate'], 0, 1) ?? 0.2;
  const delayMs = numberArg('server', '--delay-ms', values['delay-ms'], 0, 60_000) ?? 0;
  const jitterMs = numberArg('server', '--jitter-ms', values['jitter-ms'], 0, 60_000) ?? 0;

  const responder = new Responder({
    dropRate,
    delayMs,
    jitterMs,
    events: {
      ping: (remote, dropped) => io.out(`Ping received from ${remote}${dropped ? ' (dropped: simulated loss)' : ''}`),
      badRequest: (reason, remote) => io.err(`Cut off ${remote}: ${reason.replace(/_/g, ' ')}`),
    },
  });
  const address = await responder.listen(listen.host, listen.port);
  io.out(
    `tcpping server listening on ${formatHostPort({ host: address.address, port: address.port })}, ` +
      `dropping ${Math.round(dropRate * 1000) / 10}% of pings${delayMs || jitterMs ? `, delay ${delayMs} ms + jitter up to ${jitterMs} ms` : ''}`,
  );
  await untilInterrupted(io);
  await responder.stop();
  return 0;
}
