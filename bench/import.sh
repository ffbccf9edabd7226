#!/usr/bin/env bash
# Import benchmark: 20,000 article files (the corpus replicated with unique
# URLs) into an empty database, three runs, release build. Prints each run's
# files/s and peak RSS, then the medians.
#
# usage: bench/import.sh [FILES]      (needs PostgreSQL; BENCH_DATABASE_URL
#                                      defaults to .../newsgraph_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
corpus=${CORPUS_DIR:-../shared/corpus/smartable-election}
data=bench-data/import-$files
db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsgraph_bench}
admin_url=${db_url%/*}/postgres
db_name=${db_url##*/}

cargo build --release --quiet
[ -d "$data" ] || python3 bench/replicate_corpus.py "$corpus" "$data" "$files"

rates=(); rss=()
for run in 1 2 3; do
  psql "$admin_url" -qc "drop database if exists $db_name with (force)" -c "create database $db_name"
  DATABASE_URL=$db_url target/release/newsgraph migrate 2>/dev/null
  /usr/bin/time -f '%e %M' -o /tmp/newsgraph-bench-time \
    env DATABASE_URL="$db_url" target/release/newsgraph import --json "$data" >/tmp/newsgraph-bench-report
  read -r seconds kb </tmp/newsgraph-bench-time
  read_files=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["files_failed"]==0, r["errors"][:3]; print(r["files_read"])' /tmp/newsgraph-bench-report)
  rate=$(python3 -c "print(round($read_files / $seconds))")
  echo "run $run: $read_files files in ${seconds}s = $rate files/s, peak RSS $((kb / 1024)) MB"
  rates+=("$rate"); rss+=("$((kb / 1024))")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
echo "median: $(median "${rates[@]}") files/s, peak RSS $(median "${rss[@]}") MB (max $(printf '%s\n' "${rss[@]}" | sort -n | tail -1) MB)"
