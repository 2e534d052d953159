#!/usr/bin/env bash
# Proves that installing tcpping needs no C++ toolchain: `npm ci` in a scratch copy of the repository,
# with every compiler and make made unrunnable (/dev/null bind-mounted over them in a private mount
# namespace), must succeed, leave the optional raw-socket addon out, and give a working tcpping.
# Needs root (unshare --mount). Usage: .ci/no-compiler.sh [COMMAND...] runs COMMAND that way instead.
set -euo pipefail
if [ "${1:-}" = --hidden ]; then
  shift
  for tool in cc c++ gcc g++ make clang clang++; do
    p=$(command -v "$tool" 2>/dev/null) || continue
    mount --bind /dev/null "$(readlink -f "$p")"
  done
  exec "$@"
fi
here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -gt 0 ]; then exec unshare --mount --propagation private "$here/no-compiler.sh" --hidden "$@"; fi
cd "$here/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$work" 2>/dev/null || tar cf - --exclude=node_modules --exclude=dist . | tar xf - -C "$work"
cp package.json package-lock.json "$work/"
cd "$work"
start=$(date +%s)
unshare --mount --propagation private "$here/no-compiler.sh" --hidden sh -eu -c '
  if g++ --version >/dev/null 2>&1 || make --version >/dev/null 2>&1; then echo "no-compiler: a compiler is still runnable" >&2; exit 1; fi
  npm ci --no-audit --no-fund --loglevel=error
  test ! -e node_modules/raw-socket/build/Release/raw.node
  npm run -s build
  node dist/cli/bin.js check-config config/default.yaml
  node dist/cli/bin.js client --no-icmp -c 1 -W 0.2 127.0.0.1:1 || [ $? -eq 1 ]
'
echo "no-compiler: npm ci, build and tcpping ran without a compiler in $(( $(date +%s) - start )) s"
