import { defaultConfig, loadConfigFile } from '../config/load.js';
import { Service, STOP_GRACE_MS } from '../service.js';
import { createLogger } from '../util/log.js';
import { type Io, parse, untilInterrupted } from './io.js';

/** Past the pings' grace, closing sockets and files takes moments; a stop that hangs longer is cut short. */
const STOP_DEADLINE_MS = STOP_GRACE_MS + 3000;

/**
 * `tcpping serve [--config FILE]`: runs until interrupted, then stops in order and returns 0. A
 * SIGHUP reloads (coalesced); one during start-up reloads once the service runs, one during
 * shutdown is ignored. A stop that takes longer than STOP_DEADLINE_MS returns 1 anyway.
 */
export async function runServe(args: string[], io: Io): Promise<number> {
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let service: Service | undefined;
  let hupWhileStarting = false;
  const onHup = () => {
    if (phase === 'running') void service?.reload('SIGHUP');
    else if (phase === 'starting') hupWhileStarting = true;
  };
  io.hangup?.addEventListener('hangup', onHup);
  try {
    const { values } = parse('serve', args, { config: { type: 'string' } });
    const config = values.config === undefined ? defaultConfig() : loadConfigFile(values.config);
    const log = createLogger(config.log.level);
    service = await Service.start(config, { logger: log, watchFiles: true });
    phase = 'running';
    if (hupWhileStarting && !io.interrupt?.aborted) void service.reload('SIGHUP during start-up');
    await untilInterrupted(io);
    phase = 'stopping';
    log.info('shutting down');
    const stopped = await Promise.race([service.stop().then(() => true), sleep(STOP_DEADLINE_MS).then(() => false)]);
    if (!stopped) {
      log.error({ deadlineMs: STOP_DEADLINE_MS }, 'shutdown did not finish in time; exiting anyway');
      return 1;
    }
    log.info('stopped');
    return 0;
  } finally {
    io.hangup?.removeEventListener('hangup', onHup);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
