#!/usr/bin/env python3
"""Builds a large import set by replicating real Smartable article files.

Each replica `rNNNN/` holds copies of article files whose URLs get a
replica-specific host prefix (https://r12.www.example.com/...), so every
replica is a new set of articles with the same shapes, sizes and quirks as
the real ones, from the same providers (logo URLs are kept). The definition files of the first corpus are copied once.

Two mixes:
- `small` (default): the first corpus's files in turn, as they are (median
  about 6 KB, none over 20 KB);
- `real`: the size mix of the real repository, where half of the article
  files are over 16 KB and a quarter over 100 KB: each replica takes the
  large files of the second corpus (40-350 KB, related lists of up to 349
  items) and as many small files.

usage: replicate_corpus.py CORPUS_DIR OUT_DIR [FILES] [small|real [LARGE_CORPUS_DIR]]
"""
import os
import re
import shutil
import sys

# Article URLs get the replica's prefix; the site's own assets (provider
# logos) stay as they are: a replica is new articles from the same providers.
URL = re.compile(r'(https?://)(?!smartableai\.github\.io/)')


def article_files(corpus):
    found = []
    for sub in ("_news", "_archive/news"):
        folder = os.path.join(corpus, sub)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
                found.append((sub, name, f.read()))
    return found


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    mix = sys.argv[4] if len(sys.argv) > 4 else "small"
    small = article_files(corpus)
    if mix == "small":
        replica_files = lambda replica: small
    elif mix == "real":
        large = article_files(sys.argv[5])
        per_replica = len(large)
        replica_files = lambda replica: large + [
            small[(replica * per_replica + i) % len(small)] for i in range(per_replica)
        ]
    else:
        sys.exit(f"unknown mix {mix!r}: small or real")
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(os.path.join(corpus, "_data"), os.path.join(out, "_data"))
    written = 0
    replica = 0
    while written < wanted:
        for sub, name, text in replica_files(replica):
            if written == wanted:
                break
            folder = os.path.join(out, f"r{replica:04d}", sub)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
                f.write(URL.sub(rf"\g<1>r{replica}.", text))
            written += 1
        replica += 1
    print(f"{written} article files ({mix} mix) in {replica} replicas under {out}")


if __name__ == "__main__":
    main()
