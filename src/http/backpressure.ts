import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';

/** Resolves when `out` can take more, or `res` has closed (a client that went away): a slow reader holds its own response, not the process. */
export function drainedOrClosed(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      res.off('close', done);
      resolve();
    };
    out.once('drain', done);
    res.once('close', done);
  });
}
