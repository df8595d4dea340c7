"""Memory and CPU of a parallel build's parent saving the vocabulary, old way against new.

    python benchmarks/vocab_parent.py --runs 10 --words-per-run 200000
    python benchmarks/vocab_parent.py --runs 27 --words-per-run 200000   # ~2.7M papers

A parallel build's workers each count the words of a run of 100,000 papers
(about 190,000 distinct words at 100k in the benchmark corpus, 112,000 of
them used once). This makes ``--runs`` such runs of synthetic words: a shared
core of common words (``--common``) that every run uses, and a tail of words
new to each run, so the library's vocabulary grows with the number of runs as
the corpus's does. Two fresh processes then do the parent's vocabulary work
of a whole build:

* ``counter`` (before): unpickle each run's ``Counter`` (as it came through
  the pool's pipe), add it to one ``Counter``, then save with
  ``Vocabulary(dict(counts)).save``;
* ``stream`` (now): merge the runs' sorted word files (``word_runs.py``, the
  workers write them) into ``Vocabulary.write_sorted``.

It prints each one's peak RSS above the process's size after its imports
(``VmHWM``), its CPU, and checks that the two vocabulary files load alike.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

CHILD = r"""
import json, pickle, sys, time
from collections import Counter
from pathlib import Path
from absreader.core.search import word_runs
from absreader.core.search.vocabulary import Vocabulary

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return 0.0

mode, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
base = hwm()
c0 = time.process_time()
if mode == "counter":
    counts = Counter()
    for path in sorted(folder.glob("run-*.pickle")):
        counts.update(pickle.loads(path.read_bytes()))
    Vocabulary(dict(counts)).save(out)
else:
    Vocabulary.write_sorted(out, word_runs.merged(sorted((folder / word_runs.FOLDER).glob("run-*"))))
print(json.dumps({"mode": mode, "cpu_s": time.process_time() - c0, "base_mb": base,
                  "peak_above_base_mb": hwm() - base}))
"""


def _word(rnd: random.Random) -> str:
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(5, 12)))


def make_runs(folder: Path, runs: int, per_run: int, common: int, seed: int) -> int:
    """Write each run both ways (pickled Counter, sorted word file); the library's word count."""
    from absreader.core.search import word_runs

    rnd = random.Random(seed)
    core = [_word(rnd) for _ in range(common)]
    union: set[str] = set(core)
    for number in range(runs):
        counts: Counter[str] = Counter()
        for word in rnd.sample(core, min(len(core), per_run // 2)):
            counts[word] = rnd.randint(1, 5000)
        while len(counts) < per_run:
            counts[_word(rnd) + str(number)] = 1 if rnd.random() < 0.6 else rnd.randint(2, 40)
        union.update(counts)
        (folder / f"run-{number:05d}.pickle").write_bytes(pickle.dumps(counts, pickle.HIGHEST_PROTOCOL))
        word_runs.write_run(word_runs.run_file(folder, number), counts)
    return len(union)


def run_child(mode: str, folder: Path, out: Path) -> dict:
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(folder), str(out)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--words-per-run", type=int, default=200_000)
    parser.add_argument("--common", type=int, default=150_000, help="words every run shares")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from absreader.core.search.vocabulary import Vocabulary

    with tempfile.TemporaryDirectory(prefix="vocab-parent-") as tmp:
        folder = Path(tmp)
        words = make_runs(folder, args.runs, args.words_per_run, args.common, args.seed)
        results = [run_child(mode, folder, folder / mode) for mode in ("counter", "stream")]
        a, b = Vocabulary.load(folder / "counter"), Vocabulary.load(folder / "stream")
        same = a.sorted_words() == b.sorted_words() and a.shared_lengths() == b.shared_lengths()
        same = same and all(a.count(w) == b.count(w) for w in a.sorted_words()[::97])
    print(json.dumps({"runs": args.runs, "words": words, "same_vocabulary": same, "results": results}))
    for r in results:
        print(f"{r['mode']:>8}: peak +{r['peak_above_base_mb']:.0f} MB over {r['base_mb']:.0f} MB, "
              f"CPU {r['cpu_s']:.1f} s ({words:,} words)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
