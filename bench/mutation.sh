#!/usr/bin/env bash
# Editorial mutation round trip, release build, idle server: N sequential
# publishArticle / unpublishArticle calls (alternating, on one article, over
# one keep-alive HTTP connection, editor token) timed by the client; prints
# p50, p90, p99 and max in milliseconds. Each call is the whole path: token
# check, one transaction (lock, override, audit row, recompute jobs, NOTIFY,
# synchronous commit) and the article read back.
#
# The database (300 demo articles, `newsgraph dev --no-serve`) is recreated
# each run; no worker runs, so the queued jobs stay queued.
#
# usage: bench/mutation.sh [N]   (needs PostgreSQL and python3;
#        BENCH_MUTATION_DATABASE_URL defaults to .../newsgraph_mutation_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
export DATABASE_URL=${BENCH_MUTATION_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsgraph_mutation_bench}
bin=target/release/newsgraph
addr=127.0.0.1:18081
server_db=${DATABASE_URL%/*}/postgres
db_name=${DATABASE_URL##*/}

cargo build --release --quiet
psql "$server_db" -qAtc "drop database if exists $db_name with (force)"
$bin dev --no-serve >/dev/null
token=$($bin token create --name "bench-$$" --role editor 2>/dev/null)
article=$(psql "$DATABASE_URL" -qAtc "select article_id from article where not removed order by article_id limit 1")

RUST_LOG=warn $bin serve --bind $addr &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done

TOKEN=$token ARTICLE=$article N=$n ADDR=$addr python3 - <<'PY'
import base64, http.client, json, os, time
token, n = os.environ["TOKEN"], int(os.environ["N"])
host, port = os.environ["ADDR"].split(":")
gid = base64.b64encode(f"Article:{os.environ['ARTICLE']}".encode()).decode()
conn = http.client.HTTPConnection(host, int(port))
headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
q = "mutation($id: ID!) { %s(id: $id, reason: \"bench\") { article { id published version } } }"
times = []
for i in range(n + 20):
    body = json.dumps({"query": q % ("publishArticle" if i % 2 else "unpublishArticle"), "variables": {"id": gid}})
    started = time.perf_counter()
    conn.request("POST", "/graphql", body, headers)
    answer = json.loads(conn.getresponse().read())
    elapsed = time.perf_counter() - started
    assert "errors" not in answer, answer
    if i >= 20:  # warm-up: connections, prepared statements
        times.append(elapsed * 1000)
times.sort()
pick = lambda p: times[min(len(times) - 1, int(p * len(times)))]
print(f"{n} mutation round trips: p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, "
      f"p99 {pick(0.99):.2f} ms, max {times[-1]:.2f} ms")
PY
