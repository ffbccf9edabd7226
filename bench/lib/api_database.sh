# Sourced by bench/api.sh and bench/mixed.sh: their arguments, the binary,
# the server address and the database they share, built once: the demo
# generator's 100,000 articles (`newsgraph dev --no-serve` with
# NEWSGRAPH_DEMO_ARTICLES=100000, about 126,000 with the related-only ones),
# scored by `newsgraph work --drain`, statistics fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
connections=${2:-32}
export DATABASE_URL=${BENCH_API_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsgraph_api_bench}
bin=${NEWSGRAPH_BIN:-target/release/newsgraph}
addr=127.0.0.1:18080
sql() { psql "$DATABASE_URL" -qAtc "$1"; }

[ -n "${NEWSGRAPH_BIN:-}" ] || cargo build --release --quiet
if ! sql "select 1 from article_with_state where scored_at is not null limit 1" 2>/dev/null | grep -q 1; then
  echo "building the benchmark database (100,000 demo articles, then scoring them)..."
  NEWSGRAPH_DEMO_ARTICLES=100000 $bin dev --no-serve >/dev/null
  $bin work --drain
fi
# Statistics as autovacuum would keep them on a server that runs it (the
# planner's choices for the uncached queries depend on them).
sql "vacuum analyze"
