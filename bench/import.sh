#!/usr/bin/env bash
# Import benchmark: article files replicated from the real corpora with
# unique URLs, imported into an empty database, three runs, release build.
# Prints each run's files/s, MB/s and peak RSS, then the medians.
#
#   small mix: 20,000 files of the first corpus (median ~6 KB)
#   real mix:   2,000 files in the real repository's size mix (a quarter of
#               them 40-350 KB, with related lists of hundreds of items)
#
# usage: bench/import.sh [small|real] [FILES]
#        (needs PostgreSQL; BENCH_DATABASE_URL defaults to .../newsgraph_bench;
#         NEWSGRAPH_BIN runs another build, e.g. main's, for a comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
mix=${1:-small}
case $mix in
  small) files=${2:-20000} ;;
  real) files=${2:-2000} ;;
  *) echo "usage: bench/import.sh [small|real] [FILES]" >&2; exit 2 ;;
esac
corpus=${CORPUS_DIR:-../shared/corpus/smartable-election}
large_corpus=${LARGE_CORPUS_DIR:-../shared/corpus/smartable-election-more}
data=bench-data/import-$mix-$files
db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsgraph_bench}
admin_url=${db_url%/*}/postgres
db_name=${db_url##*/}
bin=${NEWSGRAPH_BIN:-target/release/newsgraph}

[ -n "${NEWSGRAPH_BIN:-}" ] || cargo build --release --quiet
[ -d "$data" ] || python3 bench/replicate_corpus.py "$corpus" "$data" "$files" "$mix" "$large_corpus"
bytes=$(find "$data" -name '*.md' -path '*/r*' -printf '%s\n' | awk '{s+=$1} END {print s}')

rates=(); mbs=(); rss=()
for run in 1 2 3; do
  psql "$admin_url" -qc "drop database if exists $db_name with (force)" -c "create database $db_name"
  DATABASE_URL=$db_url "$bin" migrate 2>/dev/null
  /usr/bin/time -f '%e %M' -o /tmp/newsgraph-bench-time \
    env DATABASE_URL="$db_url" "$bin" import --json "$data" >/tmp/newsgraph-bench-report
  read -r seconds kb </tmp/newsgraph-bench-time
  read_files=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["files_failed"]==0, r["errors"][:3]; print(r["files_read"])' /tmp/newsgraph-bench-report)
  rate=$(python3 -c "print(round($read_files / $seconds))")
  mb=$(python3 -c "print(round($bytes / 1e6 / $seconds, 1))")
  echo "run $run: $read_files files ($((bytes / 1000000)) MB) in ${seconds}s = $rate files/s, $mb MB/s, peak RSS $((kb / 1024)) MB"
  rates+=("$rate"); mbs+=("$mb"); rss+=("$((kb / 1024))")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
echo "median ($mix mix): $(median "${rates[@]}") files/s, $(median "${mbs[@]}") MB/s, peak RSS $(median "${rss[@]}") MB (max $(printf '%s\n' "${rss[@]}" | sort -n | tail -1) MB)"
