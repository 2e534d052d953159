import { readFileSync } from 'node:fs';

// Read at start-up from package.json so the build info can never drift from the release.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
export const version: string = pkg.version;
