import type { Writable } from 'node:stream';
import type { Response } from 'express';

/** Resolves when `out` can take more, or `res` has closed (a client that went away): a slow reader holds its own response, not the process. */
export function drainedOrClosed(out: Writable, res: Response): Promise<void> {
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
