#!/usr/bin/env python3
"""Writes during bench/mixed.sh's live pass, and the freshness check.

Two threads against a running `serve` (with a `work` process beside it):
- ingest: one new article a second through the ingestArticles mutation,
  in turn in the benchmark's topics, complete enough that the worker's
  rules publish it.
- checker: takes one of the most read articles, reads its page and its
  topic's feed anonymously (so both are cached), unpublishes it as an
  editor, and as soon as the mutation has answered reads the page and the
  feed again: neither may contain the article. Then it clears the override
  (the worker decides again) and takes the next one.

Prints one JSON object: articles ingested and how many of them are
published at the end, checks made, violations (an
answer begun after the unpublish answered that still showed the article),
and the first violation.

usage: live_writes.py URL TOKEN SLUGS_FILE TOPICS_FILE SECONDS
"""
import json
import sys
import threading
import time
import urllib.request

url, token, slugs_file, topics_file, seconds = sys.argv[1:6]
deadline = time.monotonic() + float(seconds)
slugs = [line for line in open(slugs_file).read().split("\n") if line][:200]
topics = [line for line in open(topics_file).read().split("\n") if line]
result = {"ingested": 0, "ingest_errors": 0, "published": None, "checks": 0, "violations": 0, "first_violation": None}

PAGE = "query($slug: String!) { article(slug: $slug) { id slug topics { slug } } }"
FEED = "query($topic: String!) { topic(slug: $topic) { articles(first: 20, orderBy: {field: HEAT}) { nodes { slug } } } }"


def post(query, variables, editor=False):
    headers = {"content-type": "application/json"}
    if editor:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables}).encode()
    answer = json.load(urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=30))
    if answer.get("errors"):
        raise RuntimeError(json.dumps(answer["errors"])[:300])
    return answer["data"]


run = f"run{int(time.time())}"  # a word in every title of this run, to count them


def ingest():
    n = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        n += 1
        key = f"{int(time.time())}-{n}"
        # complete enough (excerpt, image, AMP page, three topics) for the
        # worker's rules to publish it
        article = {
            "title": f"Live desk report {run} number {n} on {topics[n % len(topics)]}",
            "webUrl": f"https://live.example/report-{key}",
            "ampWebUrl": f"https://live.example/amp/report-{key}",
            "excerpt": "Filed while readers were reading: what the desk learned this hour, who said it, "
                       "what it changes for the people it touches, and what happens next in the story.",
            "publishedDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "provider": {"domain": "live.example", "name": "Live Desk"},
            "images": [{"url": f"https://live.example/img/{key}.jpg", "width": 1200, "height": 800}],
            "topics": [topics[(n + i) % len(topics)] for i in range(3)],
        }
        try:
            post("mutation($a: [ArticleInput!]!) { ingestArticles(articles: $a) { results { status } } }",
                 {"a": [article]}, editor=True)
            result["ingested"] += 1
        except Exception:  # counted, the run goes on
            result["ingest_errors"] += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def shows(slug, topic):
    page = post(PAGE, {"slug": slug})["article"]
    feed = post(FEED, {"topic": topic})["topic"]["articles"]["nodes"]
    return page is not None, any(node["slug"] == slug for node in feed)


def check():
    i = 0
    while time.monotonic() < deadline:
        slug = slugs[i % len(slugs)]
        i += 1
        page = post(PAGE, {"slug": slug})["article"]
        if page is None or not page["topics"]:
            continue
        topic = page["topics"][0]["slug"]
        shows(slug, topic)  # cached now
        post("mutation($id: ID!) { unpublishArticle(id: $id, reason: \"freshness check\") { publicationChanged } }",
             {"id": page["id"]}, editor=True)
        in_page, in_feed = shows(slug, topic)
        result["checks"] += 1
        if in_page or in_feed:
            result["violations"] += 1
            result["first_violation"] = result["first_violation"] or {"slug": slug, "page": in_page, "feed": in_feed}
        post("mutation($id: ID!) { clearPublicationOverride(id: $id, reason: \"freshness check done\") { publicationChanged } }",
             {"id": page["id"]}, editor=True)
        time.sleep(0.2)


threads = [threading.Thread(target=ingest), threading.Thread(target=check)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
time.sleep(2)  # the worker scores the last ones
result["published"] = post("query($q: String!) { search(query: $q, first: 1) { totalCount } }", {"q": run})[
    "search"]["totalCount"]
print(json.dumps(result))
