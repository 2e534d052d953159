import { readFileSync } from 'node:fs';
import { decodeErrorMessage, type QueuedError } from '../../src/kernel/error-queue.js';
import { decodeTcpInfo, type TcpInfo } from '../../src/kernel/tcp-info.js';

/** What the kernel said about real sockets in the namespace lab (see record-fixtures.ts). */
const recorded = JSON.parse(readFileSync(new URL('../fixtures/kernel/recorded.json', import.meta.url), 'utf8')) as {
  tcpInfo: Record<string, string>;
  errorQueue: Record<string, { control: string; name: string; data: string }[]>;
};

export const tcpInfoNames = Object.keys(recorded.tcpInfo);
export const errorQueueNames = Object.keys(recorded.errorQueue);

export function tcpInfoBytes(name: string): Buffer {
  const hex = recorded.tcpInfo[name];
  if (hex === undefined) throw new Error(`no recorded TCP_INFO "${name}"`);
  return Buffer.from(hex, 'hex');
}

export function recordedTcpInfo(name: string): TcpInfo {
  const bytes = tcpInfoBytes(name);
  return decodeTcpInfo(bytes, bytes.length) ?? assertNever(name);
}

export function errorMessageBytes(name: string): { control: Buffer; name: Buffer; data: Buffer } {
  const entry = recorded.errorQueue[name]?.[0];
  if (!entry) throw new Error(`no recorded error-queue entry "${name}"`);
  return { control: Buffer.from(entry.control, 'hex'), name: Buffer.from(entry.name, 'hex'), data: Buffer.from(entry.data, 'hex') };
}

export function recordedQueuedError(name: string): QueuedError {
  const m = errorMessageBytes(name);
  return decodeErrorMessage(m.control, m.name, m.data) ?? assertNever(name);
}

function assertNever(name: string): never {
  throw new Error(`recorded "${name}" does not decode`);
}
