import { connect } from 'node:net';
import type { ProbeMode } from '../domain/target.js';
import { systemClock } from '../util/clock.js';
import { connectProbe } from './connect.js';
import { echoProbe } from './echo.js';
import type { ProbeContext, Prober } from './types.js';

export const probers = { echo: echoProbe, connect: connectProbe } satisfies Record<ProbeMode, Prober>;

export const defaultProbeContext: ProbeContext = { clock: systemClock, connect };
