#!/usr/bin/env bash
# Compares the bench on two versions of Cairn, run in turns on the same machine at the same time
# (A, B, A, B, …), so that the machine's drift from minute to minute falls on both alike. A is a
# git revision, checked out in a temporary worktree; B is this working tree. Prints every
# round's figures, then the median of each figure per side.
#
#   bash bench/compare.sh REV [ROUNDS] [bench options…]
#   bash bench/compare.sh 7699de1 5 --storage postgres --only W1,W2,W7
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bash bench/compare.sh REV [ROUNDS] [bench options…]}
shift
rounds=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  rounds=$1
  shift
fi
here=$(pwd)
other=$(mktemp -d "${TMPDIR:-/tmp}/cairn-compare-XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/cairn-compare-log-XXXXXX")
cleanup() {
  git worktree remove --force "$other" >/dev/null 2>&1 || rm -rf "$other"
  rm -f "$log"
}
trap cleanup EXIT
git worktree add --quiet --detach "$other" "$rev"
ln -s "$here/node_modules" "$other/node_modules"
for ((round = 1; round <= rounds; round++)); do
  for side in A B; do
    dir=$here
    [[ $side == A ]] && dir=$other
    echo "=== $side round $round"
    # The runner writes its result files in the tree it runs in; B's are put back afterwards.
    # This script does its own rounds: a runner that repeats workloads runs each once here.
    once=()
    grep -q -- "--repeat" "$dir/bench/lib/args.ts" && once=(--repeat 1)
    (cd "$dir" && npx tsx --conditions=source bench/run.ts "${once[@]}" "$@" 2>&1) | grep -E "done in|FAILED" | tee -a "$log" |
      sed "s/^/  /"
    sed -i "s/^\(  [^ ]* done in\)/$side \1/" "$log"
  done
done
git -C "$here" checkout --quiet -- bench/results 2>/dev/null || true
git -C "$here" clean --quiet -f -- bench/results 2>/dev/null || true
echo "=== medians (A = $rev, B = this tree)"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  const figures = new Map();
  for (const line of lines) {
    const m = /^(A|B)\s+(\S+) done in [^:]*: (.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of m[3].split(" ")) {
      const [name, value] = pair.split("=");
      const key = `${m[2]} ${name}`;
      if (!figures.has(key)) figures.set(key, { A: [], B: [] });
      figures.get(key)[m[1]].push(Number(value));
    }
  }
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
  for (const [key, { A, B }] of figures) {
    const a = median(A), b = median(B);
    console.log(`${key.padEnd(44)} A ${String(+a.toPrecision(4)).padStart(9)}   B ${String(+b.toPrecision(4)).padStart(9)}   B/A ${(b / a).toFixed(3)}`);
  }
' "$log"
