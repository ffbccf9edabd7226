#!/usr/bin/env bash
# API benchmark, release build: the topic feed query (20 articles of a topic,
# each with provider, images, topics and its related articles with their
# providers) and an article page (article(slug) with related), each run 3
# times for 15 s with 32 connections by `mixed-load` (each query its own
# one-request group; drills/src/bin/mixed-load.rs); prints each run
# (requests/s, p99) and the medians, and the API's peak RSS; all of it once
# with the response cache as served by default and once with it off.
#
# The database is built once: the demo generator's 100,000 articles
# (`newsgraph dev --no-serve` with NEWSGRAPH_DEMO_ARTICLES=100000, which adds
# about 33,000 related-only articles), scored by `newsgraph work --drain`.
#
# usage: bench/api.sh [SECONDS] [CONNECTIONS]   (needs PostgreSQL;
#        BENCH_API_DATABASE_URL defaults to .../newsgraph_api_bench;
#        NEWSGRAPH_BIN runs another build, e.g. for a comparison)
source "$(dirname "$0")/lib/api_database.sh"
load=target/release/mixed-load
cargo build --release --quiet -p newsgraph-drills --bin mixed-load
echo "articles: $(sql "select count(*) from article"), published: $(sql "select count(*) from article_with_state where published")"
# the article page with the most published related articles: under the
# lead rule a published article's coverage group is mostly held back, so
# few have more than one or two
slug=$(sql "select a.slug from article_with_state a where a.published and a.source_kind = 'file'
            order by (select count(*) from article_relation r join article_with_state b on b.article_id = r.related_article_id
                      where r.article_id = a.article_id and b.published) desc, a.article_id
            limit 1")
sed "s/SLUG/$slug/" bench/api/article.json.tmpl >/tmp/newsgraph-bench-article.json

peak_rss=0
watch_rss() { # pid
  while kill -0 "$1" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$1/status 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$(cat /tmp/newsgraph-bench-rss 2>/dev/null || echo 0)" ] && echo "$rss" >/tmp/newsgraph-bench-rss
    sleep 0.5
  done
}

run() { # name body-file
  local rates=() p99s=()
  python3 -c 'import json, sys; print(json.dumps({"groups": [{"name": "q", "share": 1, "bodies": [json.load(open(sys.argv[1]))]}]}))' \
    "$2" >/tmp/newsgraph-bench-requests.json
  # warm-up: prepared statements, caches
  $load --url "http://$addr/graphql" --requests /tmp/newsgraph-bench-requests.json --seconds 3 --connections "$connections" >/dev/null
  for i in 1 2 3; do
    $load --url "http://$addr/graphql" --requests /tmp/newsgraph-bench-requests.json --seconds "$seconds" \
      --connections "$connections" >/tmp/newsgraph-bench-load.json
    read -r rate p99 ok <<<"$(python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
print(round(r["requests_per_second"]), round(r["p99_ms"],1), r["failed"] == 0)' /tmp/newsgraph-bench-load.json)"
    echo "$1 run $i: $rate requests/s, p99 $p99 ms (all 200: $ok)"
    rates+=("$rate"); p99s+=("$p99")
  done
  echo "$1 median: $(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p) requests/s, p99 $(printf '%s\n' "${p99s[@]}" | sort -n | sed -n 2p) ms"
}

# Starts `serve` with the given response cache time, checks that both
# queries answer with data, measures them, stops it; prints the server's
# peak RSS and how many answers came from its response cache.
measure_queries() { # cache-secs, or "default" for the binary's own
  local cache=(--response-cache-secs "$1")
  [ "$1" = default ] && cache=()
  RUST_LOG=warn $bin serve --bind $addr "${cache[@]}" &
  server=$!
  trap 'kill $server ${worker:-} ${writer:-} 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
  echo 0 >/tmp/newsgraph-bench-rss
  watch_rss $server & watcher=$!
  # a response must be data, not errors
  curl -sf -H 'content-type: application/json' -d @bench/api/topic_feed.json "http://$addr/graphql" | grep -q '"edges":\[{'
  curl -sf -H 'content-type: application/json' -d @/tmp/newsgraph-bench-article.json "http://$addr/graphql" | grep -q '"related":\[{'
  run "topic feed" bench/api/topic_feed.json
  run "article(slug)" /tmp/newsgraph-bench-article.json
  hits=$(curl -s "http://$addr/metrics" | awk '/^newsgraph_api_response_cache_hits_total/ {s += $2} END {print s + 0}')
  kill $server; wait $server 2>/dev/null || true
  kill $watcher 2>/dev/null || true
  echo "api peak RSS: $(( $(cat /tmp/newsgraph-bench-rss) / 1024 )) MB; answers from the cache: $hits"
}

# Each query is measured twice: as served by default (anonymous answers
# reused for the binary's default time, see "Response cache" in docs/api.md),
# and with the response cache off, which is what every query costs when its
# answer is not reused.
for cache_secs in default 0; do
  echo "--- serve --response-cache-secs $cache_secs"
  measure_queries $cache_secs
done

# The same with writes going on: a `work` process recomputing about 200
# random articles a second (as ingest and heat refreshes keep it doing), so
# the api hears a notification after every recompute. Score-only changes
# leave cached answers to expire; publication changes end their reuse.
echo "--- serve as served, while a worker recomputes ~200 articles/s"
psql "$DATABASE_URL" -qc "delete from apalis.jobs"
RUST_LOG=error $bin work >/dev/null 2>&1 &
worker=$!
( while kill -0 $worker 2>/dev/null; do
    echo "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
          select apalis.generate_ulid(), 'newsgraph.recompute-article',
                 convert_to(json_build_object('article_id', a.article_id)::text, 'UTF8'), 'Pending', 0, 8, now(), 0
          from (select (random() * (select max(article_id) from article))::bigint as id
                from generate_series(1, 20)) r
          join article a on a.article_id = r.id;
          select pg_sleep(0.1);"
  done ) | psql "$DATABASE_URL" -qAt >/dev/null 2>&1 &
writer=$!
measure_queries default
kill $worker $writer 2>/dev/null || true
wait $worker 2>/dev/null || true
echo "recomputes done meanwhile: $(psql "$DATABASE_URL" -qAtc "select count(*) from apalis.jobs where status = 'Done'")"
