import type { ServerResponse } from 'node:http';

/** The Content-Type of each kind of reply, charset spelled out (a browser guesses otherwise). */
export const replyTypes = {
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

export type ReplyType = keyof typeof replyTypes;

/** A whole body at once, with its length. To HEAD, Node sends the same headers and leaves the body out. */
export function reply(res: ServerResponse, status: number, type: ReplyType, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', replyTypes[type]);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
