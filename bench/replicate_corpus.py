#!/usr/bin/env python3
"""Builds a large import set by replicating the Smartable corpus.

Each replica `rNNNN/` holds copies of the corpus article files whose URLs get
a replica-specific host prefix (https://r12.www.example.com/...), so every
replica is a new set of articles with the same shapes, sizes and quirks as
the real ones. The definition files are copied once.

usage: replicate_corpus.py CORPUS_DIR OUT_DIR [FILES]   (FILES defaults to 20000)
"""
import os
import re
import shutil
import sys

URL = re.compile(r'(https?://)')


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    articles = []
    for sub in ("_news", "_archive/news"):
        folder = os.path.join(corpus, sub)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8", newline="") as f:
                articles.append((sub, name, f.read()))
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(os.path.join(corpus, "_data"), os.path.join(out, "_data"))
    written = 0
    replica = 0
    while written < wanted:
        for sub, name, text in articles:
            if written == wanted:
                break
            folder = os.path.join(out, f"r{replica:04d}", sub)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
                f.write(URL.sub(rf"\g<1>r{replica}.", text))
            written += 1
        replica += 1
    print(f"{written} article files in {replica} replicas under {out}")


if __name__ == "__main__":
    main()
