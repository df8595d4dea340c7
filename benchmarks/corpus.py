"""A seeded synthetic arXiv corpus, written as Kaggle-snapshot-shaped JSON Lines.

The text is made from the bundled ``sample_data/``: every sample abstract and
title is cut into whitespace tokens, and new ones are spliced together as a
variable-order Markov chain (follow one real abstract for a few tokens, then
jump to another place anywhere in the samples that continues the same two
tokens). Each paper draws its runs from two or three "topic" abstracts, so
papers on one topic share vocabulary and "more like this" has something to
find. On top of that:

* a long tail of invented words (a Heaps'-law process: new rare words keep
  appearing as the corpus grows, and earlier ones recur with a power law);
* invented method names (``TokenFormer``-like) used in the title and abstract;
* numbers re-rolled so ``63.5%`` does not repeat verbatim across the corpus;
* authors from a pool with Zipf-like productivity, arXiv categories with a
  primary, new-style ids (``YYMM.NNNNN``) over 2015-2024 with volume growing
  over time, version histories and dates that agree with the id.

Records have the snapshot's fields (``id, submitter, authors, title, comments,
journal-ref, doi, report-no, categories, license, abstract, versions,
update_date, authors_parsed``) and its hard-wrapped text, so importing them
exercises the same path as the real 2.7M-record file. Output is a pure
function of ``(papers, seed)``.

    python benchmarks/corpus.py --papers 10000 --seed 1 -o /tmp/corpus.jsonl
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"

#: Lines of the scraped listing pages that are page furniture, not papers.
_CHROME = re.compile(
    r"^(new|subscribe.*|get trending papers.*|byak and the research community|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) \d{1,2}|"
    r"arxiv_id|abstract|stringlengths|\d+(\.\d+)?k?)$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
_NOT_SENTENCE_END = {"e.g.", "i.e.", "et", "al.", "vs.", "etc.", "Fig.", "Eq."}
_NUMBER = re.compile(r"^(\D*?)(\d+(?:\.\d+)?)(\D*)$")
_WORD = re.compile(r"^([(\"']?)([a-z][a-z-]{3,})([.,;:)\"']*)$")
_HAS_DIGIT = re.compile(r"\d")
_METHOD = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


def _words(text: str) -> list[str]:
    """A whitespace-separated word list (kept as text so it reads as a paragraph)."""
    return text.split()


STOPWORDS = frozenset(
    _words(
    """a about above after again against all also an and any are as at be because been
    before being between both but by can could did do does doing down during each few for
    from further had has have having here how however if in into is it its itself more most
    much no nor not of off on once only or other our ours out over own same should so some
    such than that the their them then there these they this those through thus to too
    under until up very was we were what when where which while who whom why will with
    would you your yet via using use used based show shows shown propose proposed paper
    work new two one three first second existing approach method methods results"""
    )
)

FIRST_NAMES = _words(
    """Aarav Abigail Adrian Ahmed Aisha Akira Alejandro Alessandro Alexander Alice
Amara Amir Ana Anders Andrea Andrei Anna Antoine Arjun Astrid Ayesha Beatriz Benjamin Bilal
Bo Camille Carlos Carmen Chen Chiara Chloe Daniel Daniela Dmitri Elena Elif Emil Emma Erik
Esra Fatima Felix Fernando Francesca Gabriel Giulia Hana Hannah Hao Haruto Hassan Helena Hiroshi
Hyun-woo Ibrahim Ines Ingrid Isabel Ivan Jakob James Jan Javier Ji-woo Jia Jin Jonas Jose Julia
Kai Karim Katarzyna Kenji Kiran Lars Laura Layla Lei Leon Li Lin Lucas Lucia Luis Maja Manuel
Marco Maria Mariam Marta Mateo Mehmet Mei Mia Michael Mihai Min-jun Ming Mohammed Nadia Naveen
Nikolai Nina Noah Nora Olga Omar Oscar Paolo Pavel Pedro Pierre Priya Qiang Rafael Rahul Ravi
Rosa Ruslan Sakura Samuel Sara Sebastian Sergei Shreya Siddharth Sofia Sophie Sung-min Takumi
Tanvir Thomas Tomas Valentina Victor Vikram Wei Xiang Xin Yan Yara Yasmin Yi Ying Yuki Yusuf
Zainab Zhang Zhi Zoe"""
)

LAST_NAMES = _words(
    """Abadi Adeyemi Agarwal Ahmadi Alvarez Andersson Bai Banerjee Becker Bernard
Bianchi Brown Cao Chakraborty Chang Chen Cheng Cohen Costa Dai Das Deng Dubois Dumont Eriksson
Fang Feng Fernandes Fischer Fontaine Garcia Gomez Gupta Han Hansen Hashimoto He Hoffmann Hu Huang
Ito Iyer Jain Jensen Jiang Johansson Kang Kapoor Kato Kaur Khan Kim Kobayashi Kowalski Kumar Lee
Li Liang Lin Liu Lopez Lu Luo Ma Martin Martinez Mehta Meyer Moreau Mueller Murphy Nakamura
Nguyen Nielsen Novak Ochoa Okafor Olsen Park Patel Peng Petrov Qian Qiu Rahman Rao Reddy Ricci
Rodriguez Romano Rossi Saito Santos Sato Schmidt Schneider Shah Shen Silva Singh Smith Song Sun
Suzuki Tanaka Tang Tao Taylor Thompson Tran Vandenberg Vasquez Volkov Wagner Wang Watanabe
Weber Wei Williams Wong Wu Xia Xie Xu Yamamoto Yang Yao Ye Yilmaz Yu Yuan Zhang Zhao Zheng Zhou
Zhu Zimmermann"""
)

#: (category, weight as a primary): roughly the machine-learning corner of arXiv.
CATEGORIES: list[tuple[str, float]] = [
    ("cs.LG", 24), ("cs.CV", 20), ("cs.CL", 18), ("cs.AI", 8), ("stat.ML", 5), ("cs.RO", 4),
    ("cs.IR", 3), ("eess.IV", 3), ("cs.NE", 2), ("cs.SD", 2), ("eess.AS", 2), ("cs.CR", 2),
    ("cs.HC", 1.5), ("math.OC", 1.5), ("cs.DC", 1), ("cs.SE", 1), ("q-bio.NC", 0.5),
    ("physics.comp-ph", 0.5), ("cs.MA", 0.5), ("eess.SP", 0.5),
]
LICENSES = [
    ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", 60),
    ("http://creativecommons.org/licenses/by/4.0/", 25),
    (None, 8),
    ("http://creativecommons.org/licenses/by-nc-sa/4.0/", 4),
    ("http://creativecommons.org/publicdomain/zero/1.0/", 3),
]
VENUES = ["NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "CVPR", "ICCV", "AAAI", "IJCAI", "KDD", "NAACL"]
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FIRST_MONTH = (2015, 1)
LAST_MONTH = (2024, 12)


# ---------------------------------------------------------------- reading the samples


@dataclass
class Samples:
    """Token streams of the sample abstracts and titles, with splice points."""

    abstracts: list[list[str]]
    titles: list[list[str]]
    method_names: list[str]
    #: (token, token) -> positions (doc, index of the token after the pair).
    follow: dict[tuple[str, str], list[tuple[int, int]]] = field(default_factory=dict)
    #: token -> positions after it (the order-1 fallback when a pair is unique).
    follow1: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    title_follow: dict[tuple[str, str], list[tuple[int, int]]] = field(default_factory=dict)
    #: positions where a sentence starts, per abstract.
    starts: list[list[int]] = field(default_factory=list)
    vocabulary: list[str] = field(default_factory=list)


def _sample_lines(path: Path) -> Iterator[str]:
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = " ".join(raw.split())
        if line.lower().startswith("subscribe") and len(line) > len("subscribe"):
            line = line[len("subscribe"):].strip()  # "SubscribeDeepArchitect: ..." run together
        if line and not _CHROME.match(line):
            yield line


def read_samples(sample_dir: Path = SAMPLE_DIR) -> Samples:
    """Abstracts (long lines) and titles (the short line before one) of every sample file."""
    abstracts: dict[str, None] = {}
    titles: dict[str, None] = {}
    for path in sorted(sample_dir.iterdir()):
        if not path.is_file():
            continue
        previous = ""
        for line in _sample_lines(path):
            if len(line) >= 300:
                abstracts.setdefault(line)
                if 10 <= len(previous) < 250 and not previous[:4].isdigit():
                    titles.setdefault(previous)
            previous = line
    if not abstracts:
        raise SystemExit(f"no sample abstracts found under {sample_dir}")
    samples = Samples(
        abstracts=[a.split() for a in abstracts],
        titles=[t.split() for t in titles],
        method_names=sorted(
            {t.split(":", 1)[0] for t in titles if ":" in t and _METHOD.match(t.split(":", 1)[0])}
        ),
    )
    for doc, tokens in enumerate(samples.abstracts):
        starts = [0]
        for i in range(1, len(tokens)):
            samples.follow1.setdefault(tokens[i - 1], []).append((doc, i))
        for i in range(2, len(tokens)):
            samples.follow.setdefault((tokens[i - 2], tokens[i - 1]), []).append((doc, i))
            if _ends_sentence(tokens[i - 1]) and tokens[i][:1].isupper():
                starts.append(i)
        samples.starts.append(starts)
    for doc, tokens in enumerate(samples.titles):
        for i in range(2, len(tokens)):
            samples.title_follow.setdefault((tokens[i - 2], tokens[i - 1]), []).append((doc, i))
    words: Counter[str] = Counter()
    for tokens in samples.abstracts:
        for token in tokens:
            m = _WORD.match(token)
            if m:
                words[m.group(2)] += 1
    samples.vocabulary = sorted(words)
    return samples


def _ends_sentence(token: str) -> bool:
    return bool(_SENTENCE_END.search(token)) and token not in _NOT_SENTENCE_END


# ---------------------------------------------------------------- the long tail


class LongTail:
    """Invented rare words whose vocabulary keeps growing, Heaps'-law style.

    Draw ``n`` opens a new word with probability ``min(1, a * n ** (beta - 1))``
    (so about ``a / beta * n ** beta`` distinct words after ``n`` draws), and
    otherwise repeats the word of a uniformly chosen earlier draw, which gives
    reuse in proportion to popularity (a power law).
    """

    def __init__(self, rng: random.Random, vocabulary: list[str], a: float = 5.6, beta: float = 0.75):
        self.rng = rng
        self.a = a
        self.beta = beta
        self.draws: list[str] = []
        self.seen: set[str] = set(vocabulary)
        self._chars = self._char_model(vocabulary)

    @staticmethod
    def _char_model(vocabulary: list[str]) -> dict[str, list[str]]:
        """Trigram character model over the real vocabulary (pseudo-words look technical)."""
        model: dict[str, list[str]] = {}
        for word in vocabulary:
            if "-" in word:
                continue
            padded = "^^" + word + "$"
            for i in range(2, len(padded)):
                model.setdefault(padded[i - 2 : i], []).append(padded[i])
        return model

    def invent(self) -> str:
        """A new lowercase pseudo-word not seen before."""
        rng = self.rng
        for _ in range(20):
            out = "^^"
            while len(out) < 18:
                nxt = rng.choice(self._chars.get(out[-2:], ["$"]))
                if nxt == "$":
                    break
                out += nxt
            word = out[2:]
            if len(word) >= 5 and word not in self.seen:
                self.seen.add(word)
                return word
        word = f"{word}{len(self.seen)}"
        self.seen.add(word)
        return word

    def draw(self) -> str:
        n = len(self.draws) + 1
        if not self.draws or self.rng.random() < min(1.0, self.a * n ** (self.beta - 1)):
            word = self.invent()
        else:
            word = self.draws[self.rng.randrange(len(self.draws))]
        self.draws.append(word)
        return word

    def method_name(self) -> str:
        """A CamelCase or acronym-ish name for a new method (``Graphonet``, ``VORTEX-2``)."""
        rng = self.rng
        style = rng.random()
        base = self.invent()
        if style < 0.45:
            name = base[: rng.randint(4, 7)].capitalize() + rng.choice(
                ["Net", "Former", "GPT", "Diff", "Bench", "LM", "Seg", "Flow", "RL", "Mix"]
            )
        elif style < 0.75:
            name = base[: rng.randint(3, 6)].upper()
            if rng.random() < 0.3:
                name += f"-{rng.randint(1, 4)}"
        else:
            name = base.capitalize()
        self.seen.add(name.lower())
        return name


# ---------------------------------------------------------------- text


class TextMaker:
    """Splices sample token streams into new abstracts and titles."""

    def __init__(self, samples: Samples, rng: random.Random, tail: LongTail) -> None:
        self.s = samples
        self.rng = rng
        self.tail = tail
        self.methods = set(samples.method_names)
        self._kinds: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _sentence(self, topics: list[int], budget: int) -> list[str]:
        rng, s = self.rng, self.s
        doc = rng.choice(topics)
        i = rng.choice(s.starts[doc])
        tokens = s.abstracts[doc]
        out: list[str] = []
        run = 0
        while len(out) < budget:
            if i >= len(tokens):
                break
            out.append(tokens[i])
            i += 1
            run += 1
            if _ends_sentence(out[-1]) and len(out) >= 4:
                return out
            if len(out) >= 2 and run >= 3 and rng.random() < 0.25:
                # Splice: continue from another place that has the same two tokens,
                # or (less grammatical, more varied) the same last token.
                places = s.follow.get((out[-2], out[-1]))
                if not places or len(places) < 2 or rng.random() < 0.3:
                    places = s.follow1.get(out[-1])
                if places and len(places) > 1:
                    # Prefer a place in one of this paper's topic abstracts (a few tries).
                    doc, i = places[rng.randrange(len(places))]
                    for _ in range(6):
                        if doc in topics:
                            break
                        doc, i = places[rng.randrange(len(places))]
                    tokens = s.abstracts[doc]
                    run = 0
        if out and not _ends_sentence(out[-1]):
            out[-1] = out[-1].rstrip(",;:") + "."
        return out

    def _kind(self, token: str) -> tuple[str, tuple[str, ...]]:
        """What a token is (memoised): a method name, a content word, a number, or other."""
        found = self._kinds.get(token)
        if found is None:
            core = token.rstrip(".,;:)")
            m = _WORD.match(token)
            n = _NUMBER.match(token) if _HAS_DIGIT.search(token) else None
            if core in self.methods:
                found = ("method", (token[len(core):],))
            elif m and m.group(2) not in STOPWORDS:
                found = ("word", (m.group(1), m.group(3)))
            elif n:
                found = ("number", n.groups())
            else:
                found = ("other", ())
            self._kinds[token] = found
        return found

    def _touch(self, token: str, name: str | None) -> str:
        """Long-tail words, re-rolled numbers and the paper's own method name."""
        rng = self.rng
        kind, parts = self._kind(token)
        if kind == "other":
            return token
        if kind == "method":
            return name + parts[0] if name else token
        if kind == "word":
            if rng.random() < 0.045:
                return parts[0] + self.tail.draw() + parts[1]
            return token
        if rng.random() < 0.8:
            before, value, after = parts
            if "." in value:
                decimals = len(value.split(".")[1])
                new = f"{rng.uniform(0.1, 99.9):.{decimals}f}"
            else:
                new = str(rng.randint(1, 10 ** min(len(value), 4)))
            return before + new + after
        return token

    def abstract(self, topics: list[int], length: int, name: str | None) -> str:
        words: list[str] = []
        size = 0
        while size < length:
            sentence = self._sentence(topics, 60)
            for token in sentence:
                words.append(self._touch(token, name))
                size += len(words[-1]) + 1
        return " ".join(words)

    def title(self, name: str | None) -> str:
        rng, s = self.rng, self.s
        doc = rng.randrange(len(s.titles))
        tokens = s.titles[doc]
        start = 1 if tokens and ":" in tokens[0] and len(tokens) > 3 else 0
        out = list(tokens[start : start + 2])
        i = start + 2
        while len(out) < 14:
            if i >= len(tokens):
                break
            if len(out) >= 2 and rng.random() < 0.3:
                places = s.title_follow.get((out[-2], out[-1]))
                if places:
                    doc, i = places[rng.randrange(len(places))]
                    tokens = s.titles[doc]
            out.append(tokens[i])
            i += 1
        out = [self._touch(t, None) if t.islower() else t for t in out]
        body = " ".join(out).rstrip(":,;")
        if name:
            return f"{name}: {body}"
        return body


# ---------------------------------------------------------------- metadata


@dataclass(frozen=True)
class Person:
    """An author: (last, first) as in the snapshot's ``authors_parsed``."""

    last: str
    first: str

    @property
    def display(self) -> str:
        return f"{self.first} {self.last}"


class People:
    """An author pool that grows with the corpus; prolific authors write more papers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.slots: list[int] = []  # one entry per authorship, for preferential reuse

    def pick(self) -> Person:
        rng = self.rng
        if not self.slots or rng.random() < 0.35:
            first = rng.choice(FIRST_NAMES)
            if rng.random() < 0.3:
                first = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}."
            person = Person(rng.choice(LAST_NAMES), first)
            self.people.append(person)
            index = len(self.people) - 1
        else:
            index = self.slots[rng.randrange(len(self.slots))]
        self.slots.append(index)
        return self.people[index]

    def team(self) -> list[Person]:
        size = min(30, max(1, int(self.rng.lognormvariate(1.2, 0.6))))
        team: list[Person] = []
        while len(team) < size:
            person = self.pick()
            if person not in team:
                team.append(person)
        return team


def _months() -> list[tuple[int, int]]:
    months = []
    year, month = FIRST_MONTH
    while (year, month) <= LAST_MONTH:
        months.append((year, month))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return months


def plan_ids(n: int, rng: random.Random) -> list[tuple[str, date]]:
    """``n`` unique new-style ids, spread over the months with growing volume, sorted."""
    months = _months()
    weights = [math.exp(0.018 * i) for i in range(len(months))]  # ~20% more papers a year
    total = sum(weights)
    cumulative = []
    running = 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    counts = [0] * len(months)
    for _ in range(n):
        counts[min(bisect.bisect_left(cumulative, rng.random()), len(months) - 1)] += 1
    ids: list[tuple[str, date]] = []
    for (year, month), count in zip(months, counts, strict=True):
        if not count:
            continue
        # arXiv's monthly volume around then; ours are a sample, so numbers are sparse.
        span = max(count * 3, 8000 + 140 * (year - 2015) * 12)
        numbers = sorted(rng.sample(range(1, min(span, 99999) + 1), count))
        days = 28 if month == 2 else 30
        for number in numbers:
            day = 1 + (number * days) // (span + 1)
            ids.append((f"{year % 100:02d}{month:02d}.{number:05d}", date(year, month, day)))
    return ids


def _rfc2822(day: date, rng: random.Random) -> str:
    return (
        f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year} "
        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} GMT"
    )


def _weighted(rng: random.Random, pairs: list[tuple[object, float]]) -> object:
    values = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(values, weights)[0]


def _wrap(text: str, width: int = 78) -> str:
    """Hard-wrap like the snapshot: ~80 columns, newline-separated, long words kept whole."""
    lines: list[str] = []
    line: list[str] = []
    size = -1
    for word in text.split():
        if line and size + 1 + len(word) > width:
            lines.append(" ".join(line))
            line, size = [], -1
        line.append(word)
        size += 1 + len(word)
    if line:
        lines.append(" ".join(line))
    return "\n".join(lines)


def _author_string(team: list[Person]) -> str:
    names = [p.display for p in team]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- the generator


def generate(n: int, seed: int, samples: Samples | None = None) -> Iterator[dict]:
    """Yield ``n`` Kaggle-snapshot records, deterministic for ``(n, seed)``."""
    rng = random.Random(seed)
    samples = samples or read_samples()
    tail = LongTail(random.Random(seed * 7919 + 1), samples.vocabulary)
    maker = TextMaker(samples, rng, tail)
    people = People(random.Random(seed * 104729 + 2))
    primaries = [(c, w) for c, w in CATEGORIES]
    ndocs = len(samples.abstracts)
    for arxiv_id, created in plan_ids(n, random.Random(seed * 31 + 3)):
        topics = rng.sample(range(ndocs), k=min(ndocs, rng.choice((2, 2, 3))))
        name = tail.method_name() if rng.random() < 0.45 else None
        length = int(min(3000, max(350, rng.gauss(1200, 330))))
        abstract = maker.abstract(topics, length, name)
        title = maker.title(name)
        team = people.team()
        primary = str(_weighted(rng, primaries))
        cats = [primary]
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            other = str(_weighted(rng, primaries))
            if other not in cats:
                cats.append(other)
        versions = [created]
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            versions.append(versions[-1] + timedelta(days=rng.randint(3, 300)))
        updated = min(versions[-1] + timedelta(days=rng.randint(0, 400)), date(2025, 6, 30))
        pages = rng.randint(4, 40)
        comments = None
        if rng.random() < 0.6:
            comments = f"{pages} pages, {rng.randint(1, 12)} figures"
            if rng.random() < 0.3:
                comments += f", accepted at {rng.choice(VENUES)} {created.year + 1}"
        journal = doi = None
        if rng.random() < 0.12:
            journal = f"{rng.choice(VENUES)} {created.year + 1}, pp. {rng.randint(1, 900)}-{pages}"
        if rng.random() < 0.1:
            doi = f"10.{rng.randint(1000, 9999)}/{rng.choice(['TPAMI', 'j.neunet', 'access'])}.{created.year}.{rng.randint(1000, 99999)}"
        yield {
            "id": arxiv_id,
            "submitter": team[0].display,
            "authors": _author_string(team),
            "title": _wrap(title) if len(title) > 78 else title,
            "comments": comments,
            "journal-ref": journal,
            "doi": doi,
            "report-no": None,
            "categories": " ".join(cats),
            "license": _weighted(rng, LICENSES),
            "abstract": "  " + _wrap(abstract) + "\n",
            "versions": [
                {"version": f"v{i + 1}", "created": _rfc2822(d, rng)} for i, d in enumerate(versions)
            ],
            "update_date": updated.isoformat(),
            "authors_parsed": [[p.last, p.first, ""] for p in team],
        }


def write_corpus(n: int, seed: int, out: Path) -> Path:
    """Write the corpus to ``out`` atomically (a partial file never looks finished)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        for record in generate(n, seed):
            fh.write(json.dumps(record, ensure_ascii=False))
            fh.write("\n")
    tmp.replace(out)
    return out


def cached_corpus(n: int, seed: int, scratch: Path) -> Path:
    """The corpus for ``(n, seed)`` under ``scratch``, generated on first use."""
    path = Path(scratch) / f"corpus-{n}-s{seed}.jsonl"
    if not path.exists():
        write_corpus(n, seed, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True, help="how many papers")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSON Lines file to write")
    args = parser.parse_args(argv)
    if args.papers < 1:
        parser.error("--papers must be at least 1")
    write_corpus(args.papers, args.seed, args.output)
    print(f"wrote {args.papers} papers to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
