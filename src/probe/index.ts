import { connect } from 'node:net';
import { systemClock } from '../util/clock.js';
import { connectProbe } from './connect.js';
import { echoProbe } from './echo.js';
import type { ProbeContext, ProbeMode, Prober } from './types.js';

export const probers = { echo: echoProbe, connect: connectProbe } satisfies Record<ProbeMode, Prober>;

export const defaultProbeContext: ProbeContext = { clock: systemClock, connect };

export { closeKept } from './echo.js';
export * from './types.js';
