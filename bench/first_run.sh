#!/usr/bin/env bash
# A newcomer's first run, timed: a fresh clone of this repository, the
# README's build, then the README's run command (`cargo run --release -- dev`
# on a free port) and the README's curl example until it returns data.
# Prints the build time and the time from the end of the build to the first
# answer with data (the README promises it within a minute).
#
# usage: bench/first_run.sh
#        (needs PostgreSQL on 127.0.0.1:5432, network access to crates.io
#         and npm; FIRST_RUN_TARGET_DIR reuses a cargo target directory)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'kill "${dev_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/newsgraph"
cd "$work/newsgraph"
[ -z "${FIRST_RUN_TARGET_DIR:-}" ] || export CARGO_TARGET_DIR=$FIRST_RUN_TARGET_DIR
db=newsgraph_first_run_$$
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

start=$(date +%s.%N)
cargo build --release --quiet
built=$(date +%s.%N)

# the README's run command, on our port
cargo run --release --quiet -- dev --bind "127.0.0.1:$port" >"$work/dev.out" 2>"$work/dev.err" &
dev_pid=$!
# the README's curl example, pointed at that port
example=$(grep -m1 '^curl .*/graphql' "$repo/README.md" | sed "s/localhost:8080/127.0.0.1:$port/")
answered=""
for _ in $(seq 1 600); do
  if out=$(eval "$example" 2>/dev/null) &&
     python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert a["data"]["articles"]["totalCount"] > 0' "$out" 2>/dev/null; then
    answered=$(date +%s.%N)
    break
  fi
  sleep 0.1
done
kill "$dev_pid"; wait "$dev_pid" 2>/dev/null || true
psql -q -h 127.0.0.1 -U postgres -d postgres -c "drop database if exists $db" || true
[ -n "$answered" ] || { echo "FAIL: no data within 60 s of the build"; cat "$work/dev.err"; exit 1; }
python3 - "$start" "$built" "$answered" "$out" <<'PY'
import json, sys
start, built, answered = map(float, sys.argv[1:4])
total = json.loads(sys.argv[4])["data"]["articles"]["totalCount"]
print(f"build {built - start:.0f} s; first answer with data {answered - built:.1f} s after the build "
      f"(totalCount {total})")
PY
