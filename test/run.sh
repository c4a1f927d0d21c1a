#!/usr/bin/env bash
# The whole test suite: lint, type-check and build, then every test under
# test/, with the store tests on SQLite and on a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."

npx biome check .
# A clean dist/: a test whose source moved or went must not run from an old build.
rm -rf dist
npm run --silent build

if [[ -z "${WAKAME_TEST_PG_URL:-}" ]]; then
  WAKAME_TEST_PG_URL=$(bash test/postgres.sh)
  export WAKAME_TEST_PG_URL
fi
if [[ -n "$WAKAME_TEST_PG_URL" && "$WAKAME_TEST_PG_URL" != postgres://* ]]; then
  echo "test/postgres.sh printed more than a URL: $WAKAME_TEST_PG_URL" >&2
  exit 1
fi
if [[ -z "$WAKAME_TEST_PG_URL" ]]; then
  echo "NOTE: PostgreSQL is not installed here; the store suites run on SQLite only."
else
  echo "PostgreSQL for the store suites: ${WAKAME_TEST_PG_URL%%:wakame_test@*}@${WAKAME_TEST_PG_URL#*@}"
fi

if [[ ! -x .tools/pwsh/pwsh ]]; then
  echo "NOTE: PowerShell is not installed here (.tools/pwsh; scripts/setup.sh installs it where dotnet is): the guest-script suite is skipped."
fi

# Test files only: Node 20 would take every file under a test/ folder for one.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
