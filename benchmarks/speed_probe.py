"""How fast this machine runs plain Python, independent of absreader's code.

The sessions' machines differ: the same commit's 100k build has cost from
~130 to ~245 CPU-s on machines that all report "2 cores", sometimes with the
same CPU model name. A figure from one machine says little about another unless
each run also records how fast the machine itself was. This is that record: a
fixed workload of the operations an index build is made of (splitting text into
words, dict lookups and inserts, ``array`` appends, sorting, pickling), using
only the standard library, so it does not change when absreader's code does.

``probe()`` returns the median CPU seconds of a few rounds (and each round).
Its absolute value means nothing, only ratios between machines do. (No
``zlib`` in it: 20,000 small ``zlib.compress`` calls turned out to measure how
dear the kernel's page faults are, glibc trimming the heap after each call's
256 KB of state, which varied 5x with the allocator's settings alone.)

    python benchmarks/speed_probe.py            # prints the probe as JSON
    python benchmarks/speed_probe.py --rounds 7
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import statistics
import time
from array import array

#: A fixed vocabulary and text: the same on every machine and every Python run.
_RNG = random.Random(20261202)
_WORDS = [
    "".join(_RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_RNG.randint(2, 11)))
    for _ in range(5000)
]
_TEXTS = [" ".join(_RNG.choice(_WORDS) for _ in range(180)) for _ in range(400)]


def _workload() -> int:
    """One round: pool the postings of 400 short texts ten times, then write them."""
    total = 0
    for _ in range(10):
        pool: dict[str, array] = {}
        get = pool.get
        for docnum, text in enumerate(_TEXTS):
            seen: dict[str, list[int]] = {}
            for pos, word in enumerate(text.split()):
                lst = seen.get(word)
                if lst is None:
                    seen[word] = [pos]
                else:
                    lst.append(pos)
            for word, positions in seen.items():
                post = get(word)
                if post is None:
                    post = pool[word] = array("I")
                post.append(docnum)
                post.append(len(positions) << 16 | positions[0])
        for word in sorted(pool):
            total += len(pickle.dumps(pool[word], 5))
    return total


def probe(rounds: int = 5) -> dict[str, object]:
    """Median CPU seconds of ``rounds`` runs of the fixed workload (lower is faster)."""
    times = []
    for _ in range(rounds):
        c0 = time.process_time()
        _workload()
        times.append(time.process_time() - c0)
    return {"cpu_s": statistics.median(times), "rounds": [round(t, 4) for t in times]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds; the median is reported (default 5)"
    )
    args = parser.parse_args(argv)
    print(json.dumps(probe(max(1, args.rounds))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
