#!/usr/bin/env bash
# Worker benchmarks, release build, three runs each, medians printed:
#   1. rescore-all of every article (queue batches + drain), articles/s end to end;
#   2. 20,000 single-article recompute jobs drained at the default concurrency, jobs/s;
#   3. enqueue -> job start latency with an idle worker (200 jobs, one every 50 ms,
#      from one enqueuing session), p50/p99;
#   and the worker's peak RSS during 1 and 2.
# The database is built once by importing the corpus replicated to FILES
# files (57,000 files make about 200,000 articles).
#
# usage: bench/worker.sh [FILES]     (needs PostgreSQL; BENCH_DATABASE_URL
#                                     defaults to .../newsgraph_worker_bench;
#                                     NEWSGRAPH_BIN runs another build, e.g. for a comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-57000}
corpus=${CORPUS_DIR:-../shared/corpus/smartable-election}
data=bench-data/import-$files
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsgraph_worker_bench}
admin_url=${DATABASE_URL%/*}/postgres
db_name=${DATABASE_URL##*/}
bin=${NEWSGRAPH_BIN:-target/release/newsgraph}
sql() { psql "$DATABASE_URL" -qAtc "$1"; }

[ -n "${NEWSGRAPH_BIN:-}" ] || cargo build --release --quiet
[ -d "$data" ] || python3 bench/replicate_corpus.py "$corpus" "$data" "$files"
if ! psql "$DATABASE_URL" -qAtc "select 1 from article limit 1" >/dev/null 2>&1; then
  psql "$admin_url" -qc "drop database if exists $db_name with (force)" -c "create database $db_name"
  $bin migrate 2>/dev/null
  $bin import "$data" >/dev/null
fi
articles=$(sql "select count(*) from article")
echo "database: $articles articles"
# A first drain scores everything, so the runs below measure steady state.
sql "delete from apalis.jobs"; $bin rescore-all >/dev/null 2>&1; $bin work --drain 2>/dev/null
# The dead rows of earlier runs cleared and statistics fresh, as autovacuum
# would keep them on a server that runs it.
sql "vacuum analyze"

timed_drain() { # [work options]
  # the drain's summary line goes to stdout: keep it out of the figures
  /usr/bin/time -f '%e %M' -o /tmp/newsgraph-worker-time $bin work --drain "$@" >/dev/null 2>&1; cat /tmp/newsgraph-worker-time
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# Each rescore-all follows a change of weights, as in production: the runs
# alternate between the default scoring config and one with another default
# provider reputation, so every run changes the quality of most articles.
echo '{"default_reputation": 70}' >/tmp/newsgraph-bench-scoring.json
rates=(); rss=()
for run in 1 2 3; do
  sql "delete from apalis.jobs"
  sql "set client_min_messages = warning; drop table if exists bench_quality_before; create table bench_quality_before as select article_id, quality from article_state"
  config=(); [ $((run % 2)) = 1 ] && config=(--scoring-config /tmp/newsgraph-bench-scoring.json)
  start=$(date +%s.%N)
  $bin rescore-all >/dev/null 2>&1
  read -r _ kb < <(timed_drain "${config[@]}")
  seconds=$(python3 -c "import time; print(round(time.time() - $start, 2))")
  rate=$(python3 -c "print(round($articles / $seconds))")
  changed=$(sql "select count(*) from article_state s join bench_quality_before b using (article_id)
                 where s.quality is distinct from b.quality")
  echo "rescore-all run $run (${config[1]:-default scoring}): $articles articles in ${seconds}s = $rate articles/s," \
       "$changed qualities changed, worker peak RSS $((kb / 1024)) MB"
  rates+=("$rate"); rss+=("$((kb / 1024))")
done
sql "drop table bench_quality_before"
echo "rescore-all median: $(median "${rates[@]}") articles/s, worker peak RSS $(median "${rss[@]}") MB"

jobs_rates=()
for run in 1 2 3; do
  sql "delete from apalis.jobs"
  sql "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
       select apalis.generate_ulid(), 'newsgraph.recompute-article',
              convert_to(json_build_object('article_id', article_id)::text, 'UTF8'), 'Pending', 0, 8, now(), 0
       from article order by random() limit 20000"
  read -r seconds kb < <(timed_drain)
  rate=$(python3 -c "print(round(20000 / $seconds))")
  echo "single jobs run $run: 20000 jobs in ${seconds}s = $rate jobs/s, worker peak RSS $((kb / 1024)) MB"
  jobs_rates+=("$rate"); rss+=("$((kb / 1024))")
done
echo "single jobs median: $(median "${jobs_rates[@]}") jobs/s (process start and drain detection included)"

p50s=(); p99s=()
for run in 1 2 3; do
  sql "delete from apalis.jobs"
  $bin work 2>/dev/null &
  worker=$!
  sleep 2
  # One enqueuing session, as an application's pooled connection would be: a
  # new psql per job would add its cold start (~5 ms) to every figure.
  # run_at = now(), the statement's start: the queue's NOTIFY trigger fires
  # only for jobs already due (clock_timestamp() would be a hair later and
  # wait for the poll instead); lock_at - run_at is then enqueue -> start.
  sql "select article_id from article order by random() limit 200" | while read -r id; do
    echo "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
          values (apalis.generate_ulid(), 'newsgraph.recompute-article',
                  convert_to(json_build_object('article_id', $id)::text, 'UTF8'), 'Pending', 0, 8, now(), 0);
          select pg_sleep(0.05);"
  done | psql "$DATABASE_URL" -qAt >/dev/null
  sleep 1
  kill -TERM $worker; wait $worker || true
  read -r p50 p99 max count <<<"$(sql "select round(percentile_cont(0.5) within group (order by ms)::numeric, 1),
              round(percentile_cont(0.99) within group (order by ms)::numeric, 1), round(max(ms)::numeric, 1), count(*)
       from (select extract(epoch from lock_at - run_at) * 1000 as ms from apalis.jobs where lock_at is not null) t" | tr '|' ' ')"
  echo "enqueue->start run $run: p50 $p50 ms, p99 $p99 ms, max $max ms over $count jobs"
  p50s+=("$p50"); p99s+=("$p99")
done
echo "enqueue->start median: p50 $(median "${p50s[@]}") ms, p99 $(median "${p99s[@]}") ms"
