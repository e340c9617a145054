#!/usr/bin/env bash
# Whole-process `mgate heads` beside `alembic heads` on the same 2,000-revision script directory,
# written by the conformance generator (tests/conformance/generate_scripts.py, seeded).
#
#   bench/alembic_heads.sh [RUNS]        RUNS timed runs of each (default 20), after one warm-up run
#
# MGATE names the binary (default build/bin/mgate). alembic is Debian's python3-alembic, run with
# /usr/bin/python3. Each run is one process start to exit, timed with bash's $EPOCHREALTIME (no
# fork for the clock); the script prints the mean and the minimum of each and their ratios.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-20}
mgate=${MGATE:-$root/build/bin/mgate}
python=/usr/bin/python3

[[ -x $mgate ]] || { echo "alembic_heads.sh: no mgate binary at $mgate (make build, or set MGATE)" >&2; exit 2; }
work=$(mktemp -d /tmp/mgate-bench-heads-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" "$root/tests/conformance/generate_scripts.py" "$work" --only big
ini="$work/big/alembic.ini"
revisions=$(find "$work/big/migrations/versions" -name '*.py' ! -name '__init__.py' | wc -l)

# Both must name the same heads (alembic prints several labels in set order: compare the ids).
alembic_heads=$("$python" -m alembic -c "$ini" heads | cut -d' ' -f1)
mgate_heads=$("$mgate" heads --scripts "$ini" | cut -d' ' -f1)
if [[ $alembic_heads != "$mgate_heads" ]]; then
  echo "alembic_heads.sh: the heads differ: alembic '$alembic_heads', mgate '$mgate_heads'" >&2
  exit 1
fi

# time_runs LABEL COMMAND...: prints "LABEL mean_ms min_ms".
time_runs() {
  local label=$1
  shift
  "$@" > /dev/null  # warm-up: page cache, and anything a first run writes
  local samples=()
  for ((i = 0; i < runs; i++)); do
    local start=$EPOCHREALTIME
    "$@" > /dev/null
    local end=$EPOCHREALTIME
    samples+=("$start $end")
  done
  printf '%s\n' "${samples[@]}" | awk -v label="$label" '
    { t = ($2 - $1) * 1000; sum += t; if (NR == 1 || t < min) min = t }
    END { printf "%s %.2f %.2f\n", label, sum / NR, min }'
}

a=$(time_runs alembic "$python" -m alembic -c "$ini" heads)
m=$(time_runs mgate "$mgate" heads --scripts "$ini")
read -r _ a_mean a_min <<< "$a"
read -r _ m_mean m_min <<< "$m"

echo "alembic heads on $revisions revisions, $runs runs each (after one warm-up), whole process:"
printf '  %-34s mean %8.2f ms   min %8.2f ms\n' "/usr/bin/python3 -m alembic heads" "$a_mean" "$a_min"
printf '  %-34s mean %8.2f ms   min %8.2f ms\n' "mgate heads --scripts" "$m_mean" "$m_min"
awk -v am="$a_mean" -v mm="$m_mean" -v an="$a_min" -v mn="$m_min" \
  'BEGIN { printf "  ratio (alembic / mgate)            mean %8.1fx     min %8.1fx\n", am / mm, an / mn }'
