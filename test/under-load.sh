#!/usr/bin/env bash
# Runs test files again and again with every core kept busy by a CPU burner,
# and counts the runs that failed: a test that waits for a state and takes
# the processes behind it as settled fails here long before it fails in CI.
#   bash test/under-load.sh [RUNS] [TEST.ts ...]   (default: 10 runs of test/e2e/host-agent.test.ts)
# The failed runs' output is kept under $TMPDIR/wakame-under-load-*/.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
shift || true
sources=("${@:-test/e2e/host-agent.test.ts}")
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "under-load: RUNS must be a whole number from 1, not '$runs'" >&2
  exit 2
fi
files=()
for f in "${sources[@]}"; do
  [[ -f "$f" && "$f" == test/*.test.ts ]] || {
    echo "under-load: $f is not a test file under test/ (test/e2e/host-agent.test.ts, say)" >&2
    exit 2
  }
  files+=("dist/${f%.ts}.js")
done

npm run --silent build
out=$(mktemp -d "${TMPDIR:-/tmp}/wakame-under-load-XXXXXX")
burners=()
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  burners+=($!)
done

failed=0
for run in $(seq "$runs"); do
  start=$SECONDS
  if node --test "${files[@]}" >"$out/run-$run.log" 2>&1; then
    echo "run $run: passed in $((SECONDS - start)) s"
    rm "$out/run-$run.log"
  else
    failed=$((failed + 1))
    echo "run $run: FAILED in $((SECONDS - start)) s (output: $out/run-$run.log)"
  fi
done
echo "under load ($(nproc) burners): $((runs - failed)) of $runs runs passed, $failed failed"
[[ $failed -eq 0 ]]
