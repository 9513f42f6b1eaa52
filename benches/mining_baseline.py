#!/usr/bin/env python3
"""The Python baseline for `benches/mining_compare.sh`: what a typical jieba mining script does
with a transcript export, on the same input as `peilian mine` — segment every turn with jieba,
count document frequencies over the corpus, then rank each dialogue's words by TF-IDF (top 5).
No redaction, tone analysis, families or drafts: only the segmentation and TF-IDF, so the
ratio to `peilian mine` (which does all of that too) is a lower bound.

Usage: mining_baseline.py FILE.jsonl [--limit N]
Prints one JSON object: dialogues, bytes, seconds, dialogues/s, MB/s, jieba version.
"""
import json
import math
from array import array
import sys
import time

import jieba

jieba.setLogLevel(60)
jieba.initialize()


def main():
    args = sys.argv[1:]
    limit = None
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i : i + 2]
    path = args[0]
    started = time.perf_counter()
    df = {}
    docs = 0
    nbytes = 0
    # Pass 1: segmentation and document frequencies (as `peilian mine` does in its pass 1).
    # Each dialogue's words are kept as compact (word id, count) arrays, not as text.
    vocab = {}
    bags = []
    with open(path, "rb") as f:
        for raw in f:
            nbytes += len(raw)
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            words = {}
            for t in d.get("turns", []):
                for w in jieba.lcut(t.get("text") or ""):
                    if len(w) >= 2:
                        words[w] = words.get(w, 0) + 1
            flat = array("I")
            for w, c in words.items():
                wid = vocab.setdefault(w, len(vocab))
                df[wid] = df.get(wid, 0) + 1
                flat.append(wid)
                flat.append(c)
            bags.append(flat)
            docs += 1
            if limit and docs >= limit:
                break
    # Pass 2: TF-IDF top 5 per dialogue.
    top_total = 0
    for flat in bags:
        pairs = list(zip(flat[0::2], flat[1::2]))
        total = sum(c for _, c in pairs) or 1
        scored = sorted(
            ((c / total * (math.log((docs + 1) / (df[w] + 1)) + 1.0), w) for w, c in pairs), reverse=True
        )[:5]
        top_total += len(scored)
    elapsed = time.perf_counter() - started
    json.dump(
        {
            "python_jieba_dialogues": docs,
            "bytes": nbytes,
            "seconds": round(elapsed, 2),
            "dialogues_per_s": round(docs / elapsed, 1),
            "mb_per_s": round(nbytes / elapsed / 1e6, 3),
            "keywords": top_total,
            "jieba": jieba.__version__,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
