import { builtInDefaults } from '../config/load.js';
import { Responder } from '../responder/responder.js';
import { UsageError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { type Io, numberArg, parse, untilInterrupted } from './io.js';

/** `tcpping server`: the seed's ping server, standalone, printing one line per ping. Its defaults are the service's. */
export async function runServer(args: string[], io: Io): Promise<number> {
  const defaults = builtInDefaults.responder;
  const { values } = parse('server', args, {
    listen: { type: 'string', default: formatHostPort(defaults.listen) },
    'drop-rate': { type: 'string', default: String(defaults.dropRate) },
    'delay-ms': { type: 'string', default: String(defaults.delayMs) },
    'jitter-ms': { type: 'string', default: String(defaults.jitterMs) },
  });
  const listen = parseHostPort(values.listen, defaults.listen.port, true);
  if (!listen.ok) throw new UsageError(`tcpping server: --listen: ${listen.error}`);
  const dropRate = numberArg('server', '--drop-rate', values['drop-rate'], 0, 1) ?? defaults.dropRate;
  const delayMs = numberArg('server', '--delay-ms', values['delay-ms'], 0, 60_000) ?? defaults.delayMs;
  const jitterMs = numberArg('server', '--jitter-ms', values['jitter-ms'], 0, 60_000) ?? defaults.jitterMs;

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
