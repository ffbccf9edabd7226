#!/usr/bin/env bash
# Mixed read benchmark, release build: what a news site's readers send, not
# one repeated query (which is a cache's best case). A fixed-seed draw
# (`mixed-load`, drills/src/bin/mixed-load.rs) over
#   70%  article pages: 2,000 published articles, Zipf (s = 1) by heat rank
#   20%  topic feeds: the 6 largest topics x their first 3 cursor pages, Zipf
#    5%  search: 20 frequent words of the published titles and excerpts, Zipf
#    5%  a filtered list: each provider's latest articles of quality >= 60, Zipf
# with 32 connections, 3 runs of 15 s each, with the response cache as served
# (the binary's default time to live), off, and as served while the site is
# live (an article ingested a second, a worker, an editor unpublishing and
# checking the next answers: bench/live_writes.py); each run prints
# requests/s, p50/p99, the share of answers
# from the response cache, and the CPU time per request of the api process
# and of PostgreSQL. Then PostgreSQL alone: pgbench over the topic feed as
# one JSON-building statement (bench/api/topic_feed.sql), checked first
# against the API's answer field by field.
#
# The database is the one bench/api.sh builds (the demo generator's 100,000
# articles, scored).
#
# usage: bench/mixed.sh [SECONDS] [CONNECTIONS]   (needs PostgreSQL and pgbench;
#        BENCH_API_DATABASE_URL defaults to .../newsgraph_api_bench;
#        NEWSGRAPH_BIN runs another build, e.g. for a comparison)
source "$(dirname "$0")/lib/api_database.sh"
load=target/release/mixed-load
cargo build --release --quiet -p newsgraph-drills --bin mixed-load
work=$(mktemp -d)
trap 'kill ${server:-} ${worker:-} ${writes:-} 2>/dev/null || true; rm -rf "$work"' EXIT

start_server() { # cache-secs, or "default" for the binary's own
  local cache=(--response-cache-secs "$1")
  [ "$1" = default ] && cache=()
  RUST_LOG=warn,sqlx::query=error $bin serve --bind $addr "${cache[@]}" &
  server=$!
  for _ in $(seq 1 50); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done
}
stop_server() { kill $server; wait $server 2>/dev/null || true; server=; }
graphql() { curl -sf -H 'content-type: application/json' -d "$1" "http://$addr/graphql"; }

# The requests, from the database and (for the cursor pages) the API.
start_server 0
sql "select slug from article_with_state where published and source_kind = 'file'
     order by heat desc, article_id limit 2000" >"$work/slugs"
sql "select t.slug from topic t join article_topic at on at.topic_id = t.topic_id
     join article_with_state a on a.article_id = at.article_id and a.published
     group by t.slug order by count(*) desc, t.slug limit 6" >"$work/topics"
sql "select word from ts_stat('select search from article_with_state where published')
     where length(word) > 3 order by nentry desc, word limit 20" >"$work/words"
sql "select v.domain from provider v join article_with_state a on a.provider_id = v.provider_id and a.published
     group by v.domain order by count(*) desc, v.domain" >"$work/providers"
python3 - "$work" "http://$addr/graphql" <<'PY'
import json, sys, urllib.request
work, url = sys.argv[1], sys.argv[2]
lines = lambda name: [l for l in open(f"{work}/{name}").read().split("\n") if l]
def post(body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
    assert "errors" not in answer, answer
    return answer["data"]
article = json.load(open("bench/api/article.json.tmpl"))
feed = json.load(open("bench/api/topic_feed.json"))
feed["query"] = feed["query"].replace("$first: Int)", "$first: Int, $after: String)").replace(
    "articles(first: $first,", "articles(first: $first, after: $after,")
node = "id slug title excerpt webUrl publishedAt quality heat provider { name domain } images { url width height }"
articles = [dict(article, variables={"slug": s}) for s in lines("slugs")]
pages = [[], [], []]
for topic in lines("topics"):
    after = None
    for page in pages:
        body = dict(feed, variables={"slug": topic, "first": 20, "after": after})
        page.append(body)
        info = post(body)["topic"]["articles"]["pageInfo"]
        after = info["endCursor"]
        if not info["hasNextPage"]:
            break
search = [{"query": "query Search($q: String!) { search(query: $q, first: 10) { edges { node { %s } } } }" % node,
           "variables": {"q": w}} for w in lines("words")]
listed = [{"query": "query Latest($d: String!) { articles(first: 20, filter: {providerDomain: $d, minQuality: 60}, "
                    "orderBy: {field: PUBLISHED_AT}) { edges { node { %s } } } }" % node,
           "variables": {"d": d}} for d in lines("providers")]
groups = [("article", 70, articles), ("feed", 20, pages[0] + pages[1] + pages[2]),
          ("search", 5, search), ("list", 5, listed)]
for name, _, bodies in groups:
    for body in bodies[:3] + bodies[-1:]:
        post(body)  # every kind answers with data before it is measured
json.dump({"groups": [{"name": n, "share": s, "bodies": b} for n, s, b in groups]}, open(f"{work}/requests.json", "w"))
print("requests: " + ", ".join(f"{len(b)} {n}" for n, _, b in groups))
PY
graphql @bench/api/topic_feed.json >"$work/api_feed.json"
stop_server

cpu_of() { # pids... -> seconds of CPU (user + system)
  local ticks=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  python3 -c "print($ticks / $(getconf CLK_TCK))"
}
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
hits() { curl -s "http://$addr/metrics" | awk '/^newsgraph_api_response_cache_hits_total/ {s += $2} END {print s + 0}'; }
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

# Warms the running server up, then 3 measured runs and their median;
# prints the api's peak RSS.
measure_mix() { # label
  $load --url "http://$addr/graphql" --requests "$work/requests.json" --seconds 3 --connections "$connections" >/dev/null
  rates=(); p50s=(); p99s=(); hit_rates=(); api_ms=(); pg_ms=()
  for run in 1 2 3; do
    # PostgreSQL's CPU: the machine's busy time less the api's and the load
    # generator's (the pool's backends may start during a run)
    api0=$(cpu_of $server); busy0=$(busy); hits0=$(hits)
    /usr/bin/time -f '%U %S' -o "$work/load-cpu" $load --url "http://$addr/graphql" --requests "$work/requests.json" \
      --seconds "$seconds" --connections "$connections" --seed "$run" >"$work/run.json"
    api1=$(cpu_of $server); busy1=$(busy); hits1=$(hits)
    read -r load_user load_sys <"$work/load-cpu"
    pg_seconds=$(python3 -c "print(($busy1 - $busy0) / $(getconf CLK_TCK) - ($api1 - $api0) - $load_user - $load_sys)")
    read -r rate p50 p99 hit api pg line <<<"$(python3 - "$work/run.json" "$api0" "$api1" "$pg_seconds" "$hits0" "$hits1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); api0, api1, pg_seconds, h0, h1 = map(float, sys.argv[2:])
n = r["requests"]
assert r["failed"] == 0, f"{r['failed']} failed answers, the first: {r['first_failure']}"
line = ", ".join(f"{k} {v}" for k, v in r["per_group"].items())
print(round(r["requests_per_second"]), round(r["p50_ms"], 1), round(r["p99_ms"], 1), round(100 * (h1 - h0) / n),
      round(1000 * (api1 - api0) / n, 2), round(1000 * pg_seconds / n, 2), line.replace(" ", "_"))
PY
)"
    echo "run $run: $rate requests/s, p50 $p50 ms, p99 $p99 ms, from the cache $hit%, CPU per request: api $api ms, PostgreSQL $pg ms (${line//_/ })"
    rates+=("$rate"); p50s+=("$p50"); p99s+=("$p99"); hit_rates+=("$hit"); api_ms+=("$api"); pg_ms+=("$pg")
  done
  echo "median ($1): $(median "${rates[@]}") requests/s, p50 $(median "${p50s[@]}") ms, p99 $(median "${p99s[@]}") ms, from the cache $(median "${hit_rates[@]}")%, CPU per request: api $(median "${api_ms[@]}") ms, PostgreSQL $(median "${pg_ms[@]}") ms; api peak RSS $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$server/status) MB"
}

for cache_secs in default 0; do
  echo "--- mixed, serve --response-cache-secs $cache_secs"
  start_server "$cache_secs"
  measure_mix "cache $cache_secs"
  stop_server
done

echo "--- PostgreSQL alone: the topic feed as one JSON statement (bench/api/topic_feed.sql)"
psql "$DATABASE_URL" -qAt -f bench/api/topic_feed.sql >"$work/sql_feed.json"
python3 - "$work/api_feed.json" "$work/sql_feed.json" <<'PY'
import json, sys
from datetime import datetime
api = json.load(open(sys.argv[1]))["data"]["topic"]
sql = json.load(open(sys.argv[2]))
def node(n):
    published = datetime.fromisoformat(n["publishedAt"].replace("Z", "+00:00")) if n["publishedAt"] else None
    related = [{k: r[k] for k in ("title", "webUrl", "provider")} for r in n["related"]]
    return dict({k: n[k] for k in ("slug", "title", "excerpt", "webUrl", "quality", "heat", "provider", "images", "topics")},
                publishedAt=published, related=related)
ours = [node(e["node"]) for e in api["articles"]["edges"]]
theirs = [node(n) for n in sql["nodes"] or []]
assert api["name"] == sql["name"] and api["articles"]["pageInfo"]["hasNextPage"] == sql["hasNextPage"], "feed header differs"
assert ours == theirs, "the statement's feed differs from the API's"
print(f"same answer as the API: {len(ours)} articles, every field")
PY
rates=(); pg_ms=()
for run in 1 2 3; do
  # pgbench's backends come and go with it: PostgreSQL's CPU is the
  # machine's busy time less pgbench's own
  busy0=$(busy)
  out=$(/usr/bin/time -f 'pgbench-cpu %U %S' pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" \
          -f bench/api/topic_feed.sql "$DATABASE_URL" 2>&1)
  busy1=$(busy)
  rate=$(awk '/^tps/ {print int($3)}' <<<"$out")
  count=$(awk '/transactions actually processed/ {print $NF}' <<<"$out" | cut -d/ -f1)
  pg=$(awk -v b="$((busy1 - busy0))" -v hz="$(getconf CLK_TCK)" -v n="$count" \
         '/^pgbench-cpu/ {printf "%.2f", 1000 * (b / hz - $2 - $3) / n}' <<<"$out")
  echo "run $run: $rate feeds/s, PostgreSQL CPU per feed $pg ms"
  rates+=("$rate"); pg_ms+=("$pg")
done
echo "median (PostgreSQL alone): $(median "${rates[@]}") feeds/s, PostgreSQL CPU per feed $(median "${pg_ms[@]}") ms"

# Last, as it changes the data: the mix as served while the site is live,
# an ingest pushing one new article a second (the worker scores and
# publishes it) and an editor unpublishing one of the most read articles
# after another, checking that the answers begun after each unpublish
# answered no longer show it (bench/live_writes.py).
echo "--- mixed, serve as served, while an ingest adds an article a second, a worker recomputes and an editor unpublishes"
token=$($bin token create --name "bench-live-$(date +%s)" --role admin)
start_server default
RUST_LOG=error $bin work >/dev/null 2>&1 &
worker=$!
python3 bench/live_writes.py "http://$addr/graphql" "$token" "$work/slugs" "$work/topics" $((3 * seconds + 5)) >"$work/live.json" &
writes=$!
measure_mix "live"
wait $writes
kill $worker; wait $worker 2>/dev/null || true
stop_server
python3 - "$work/live.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"live writes: {r['ingested']} articles ingested ({r['ingest_errors']} failed, {r['published']} published), "
      f"{r['checks']} unpublish checks, "
      f"{r['violations']} answers showing an article after its unpublish answered"
      + (f" (first: {r['first_violation']})" if r["violations"] else ""))
PY

