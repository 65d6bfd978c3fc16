"""How well a subscriber's plain-language interest picks papers: word match vs MiniLM.

Development set: ``bench/interest_topics.jsonl``, 16 interests, each with a hand-written
relevance rule (regular expressions that must all occur in title+abstract). 40 simulated
boards of 150 papers drawn from the sample (seeded); for each interest and board, the papers
the rule marks relevant are compared with those each matcher picks. Reports micro precision,
recall and F1 over all (interest, board) pairs, for the word match of ``mail.digest`` and
for cosine thresholds of the MiniLM embedding (vectors from bench/embed_throughput.py's
cache of the sample, the same vectors ``paperboard embed`` stores).

  .venv/bin/python bench/embed_throughput.py cache sample   # once, if not cached
  .venv/bin/python bench/interest_quality.py
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_throughput import DATA, ROOT, load_cached

from paperboard.mail.digest import _words, content_words
from paperboard.search.embedder import load_embedder

TOPICS = ROOT / "bench" / "interest_topics.jsonl"
BOARDS, BOARD_SIZE, SEED = 40, 150, 7
THRESHOLDS = (0.30, 0.35, 0.40, 0.45, 0.50)


def word_match(interest: str, word_sets: list[frozenset[str]]) -> set[int]:
    words = content_words(interest)
    needed = max(1, math.ceil(len(words) * 0.5))  # mail.digest.INTEREST_MIN_SHARE
    return {i for i, have in enumerate(word_sets) if sum(w in have for w in words) >= needed}


def main() -> None:
    ids, vectors = load_cached("sample", "minilm-int8", 128)
    if not ids:
        raise SystemExit("no cached vectors: run bench/embed_throughput.py cache sample")
    position = {arxiv_id: i for i, arxiv_id in enumerate(ids)}
    texts: dict[str, str] = {}
    with gzip.open(DATA / "arxiv-sample" / "papers.jsonl.gz", "rt") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in position:
                texts[record["id"]] = f"{record['title']}\n{record['abstract']}".lower()
    topics = [json.loads(line) for line in TOPICS.read_text().splitlines() if line.strip()]
    interest_vectors = load_embedder("minilm-int8").embed([t["interest"] for t in topics])
    rng = random.Random(SEED)
    keys = sorted(texts)
    counts = {name: [0, 0, 0] for name in ["words", *map(str, THRESHOLDS)]}
    for _ in range(BOARDS):
        board = rng.sample(keys, BOARD_SIZE)
        board_texts = [texts[a] for a in board]
        word_sets = [frozenset(_words(t)) for t in board_texts]
        matrix = vectors[[position[a] for a in board]].astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        for topic, vector in zip(topics, interest_vectors, strict=True):
            relevant = {
                i for i, t in enumerate(board_texts) if all(re.search(p, t) for p in topic["rule"])
            }
            similarity = matrix @ vector
            picks = {"words": word_match(topic["interest"], word_sets)}
            for threshold in THRESHOLDS:
                picks[str(threshold)] = set(np.flatnonzero(similarity >= threshold).tolist())
            for name, picked in picks.items():
                counts[name][0] += len(picked & relevant)
                counts[name][1] += len(picked - relevant)
                counts[name][2] += len(relevant - picked)
    print(f"{len(topics)} interests x {BOARDS} boards of {BOARD_SIZE} papers")
    for name, (tp, fp, fn) in counts.items():
        precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        label = "word match" if name == "words" else f"MiniLM cosine >= {name}"
        print(f"{label:24} P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}")


if __name__ == "__main__":
    main()
