#!/usr/bin/env python3
"""The Python baseline for `benches/compare.sh`: what a typical jieba scoring script does per
answer — segmentation, synonym lookup and lexicon counts — timed on the same answers as the
Rust benchmark. Prints microseconds per answer (median of several rounds)."""
import json
import pathlib
import re
import statistics
import sys
import time

import jieba

root = pathlib.Path(__file__).resolve().parent.parent
jieba.setLogLevel(60)
jieba.initialize()

markers = {}  # phrase -> (lexicon kind, weight)
synonyms = {}  # phrase -> group name
for f in sorted((root / "scenarios" / "lexicons").glob("*.ron")):
    text = f.read_text(encoding="utf-8")
    kind = re.search(r"kind:\s*(\w+)", text).group(1)
    for phrase, weight in re.findall(r'"([^"]+)":\s*([0-9.]+)', text):
        markers[phrase] = (kind, float(weight))
    for group, body in re.findall(r'"([^"]+)":\s*\[([^\]]*)\]', text):
        for phrase in re.findall(r'"([^"]+)"', body):
            synonyms[phrase] = group
for phrase in list(markers) + list(synonyms):
    jieba.add_word(phrase)

answers = [l for l in (root / "benches" / "answers.txt").read_text(encoding="utf-8").splitlines() if l.strip()]


def score(answer):
    tokens = jieba.lcut(answer)
    groups = set()
    counts = {}
    for t in tokens:
        g = synonyms.get(t)
        if g:
            groups.add(g)
        m = markers.get(t)
        if m:
            counts[m[0]] = counts.get(m[0], 0.0) + m[1]
    return groups, counts


rounds = []
n = 2000
for _ in range(7):
    start = time.perf_counter()
    for i in range(n):
        score(answers[i % len(answers)])
    rounds.append((time.perf_counter() - start) / n * 1e6)
result = {"python_jieba_us_per_answer": round(statistics.median(rounds), 2), "answers": len(answers),
          "mean_chars": round(sum(map(len, answers)) / len(answers), 1), "jieba": jieba.__version__}
json.dump(result, sys.stdout)
print()
