import { defaultConfig, loadConfigFile } from '../config/load.js';
import { Service } from '../service.js';
import { createLogger } from '../util/log.js';
import { type Io, parse, untilInterrupted } from './io.js';

/** `tcpping serve [--config FILE]`: runs until interrupted, then stops in order and returns 0. */
export async function runServe(args: string[], io: Io): Promise<number> {
  const { values } = parse('serve', args, { config: { type: 'string' } });
  const config = values.config === undefined ? defaultConfig() : loadConfigFile(values.config);
  const log = createLogger(config.log.level);
  const service = await Service.start(config, { logger: log, watchFiles: true });
  const onHup = () => void service.reload('SIGHUP');
  process.on('SIGHUP', onHup);
  await untilInterrupted(io);
  process.off('SIGHUP', onHup);
  log.info('shutting down');
  await service.stop();
  log.info('stopped');
  return 0;
}
