"""Bodies in the real formats of arXiv's API, RSS and OAI-PMH and Hugging Face's daily papers, and servers.

The shapes follow the public documentation (arXiv API user manual, arXiv RSS
announcement feeds, OAI-PMH 2.0 with the ``arXiv`` metadata format, the
``/api/daily_papers`` JSON); the papers in them are made up for the tests.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from pytest_httpserver import HTTPServer


@dataclass
class Fake:
    """A made-up paper."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing")
    categories: tuple[str, ...] = ("quant-ph", "cs.ET")
    published: str = "2024-03-19T17:59:58Z"
    version: int = 1
    upvotes: int = 7
    extra: dict = field(default_factory=dict)


QUANTUM = [
    Fake("2403.13001", "Lattice Surgery Schedules for Fault-Tolerant Qubit Arrays",
         "We schedule lattice surgery on superconducting qubit arrays and halve the idle time of "
         "logical qubits."),
    Fake("2403.13002", "Variational Eigensolvers Under Correlated Readout Noise",
         "Correlated readout noise biases variational eigensolvers; a cheap twirling step removes "
         "the bias on a trapped-ion processor."),
    Fake("2403.13003", "Photonic Boson Sampling With Time-Bin Loops",
         "A time-bin loop architecture samples bosons with fewer beam splitters and a tunable "
         "interferometer depth."),
]

HF_DAY = [
    Fake("2403.13043", "Scaling Laws for Daily Paper Recommenders",
         "Recommenders of daily papers follow power laws in clicks and upvotes.",
         categories=(), published="2024-03-19T16:30:00.000Z", upvotes=42),
    Fake("2403.12999", "Sparse Mixture Routers Learn Curricula",
         "Routers of sparse mixtures of experts learn a curriculum over tokens without supervision.",
         categories=(), published="2024-03-19T12:00:00.000Z", upvotes=3),
]


def atom_page(papers: list[Fake], total: int, start: int = 0, query: str = "all:quantum") -> bytes:
    """An arXiv API answer: an Atom feed with OpenSearch totals."""
    entries = []
    for p in papers:
        authors = "".join(f"\n    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in p.authors)
        cats = "".join(
            f'\n    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in p.categories
        )
        primary = p.categories[0] if p.categories else "cs.LG"
        entries.append(f"""
  <entry>
    <id>http://arxiv.org/abs/{p.id}v{p.version}</id>
    <updated>{p.published}</updated>
    <published>{p.published}</published>
    <title>{escape(p.title)}</title>
    <summary>  {escape(p.abstract)}
</summary>{authors}
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages, 4 figures</arxiv:comment>
    <link href="http://arxiv.org/abs/{p.id}v{p.version}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{p.id}v{p.version}" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="{primary}" scheme="http://arxiv.org/schemas/atom"/>{cats}
  </entry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D{escape(query)}%26id_list%3D%26start%3D{start}%26max_results%3D{len(papers)}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query={escape(query)}&amp;id_list=&amp;start={start}&amp;max_results={len(papers)}</title>
  <id>http://arxiv.org/api/8Tl0TQCJmEStZHVmPIFpDyQHJ1A</id>
  <updated>2024-03-21T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{len(papers)}</opensearch:itemsPerPage>{"".join(entries)}
</feed>
""".encode()


def atom_error(message: str) -> bytes:
    """The arXiv API's answer to a bad request: a feed with one error entry."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=1234.5678&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/errors</id>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678</id>
    <title>Error</title>
    <summary>{escape(message)}</summary>
    <updated>2024-03-21T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678" rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>
""".encode()


TRAILING = " "  # arXiv's descriptions end the "Announce Type" line with a space


def rss(category: str, items: list[tuple[Fake, str]]) -> bytes:
    """arXiv's RSS 2.0 announcement feed; each item is (paper, announce type)."""
    parts = []
    for p, kind in items:
        cats = "".join(f"\n      <category>{c}</category>" for c in p.categories)
        parts.append(f"""
    <item>
      <title>{escape(p.title)}</title>
      <link>https://arxiv.org/abs/{p.id}</link>
      <description>arXiv:{p.id}v{p.version} Announce Type: {kind}{TRAILING}
Abstract: {escape(p.abstract)}</description>
      <guid isPermaLink="false">oai:arXiv.org:{p.id}v{p.version}</guid>{cats}
      <pubDate>Thu, 21 Mar 2024 00:00:00 -0400</pubDate>
      <arxiv:announce_type>{kind}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>{escape(", ".join(p.authors))}</dc:creator>
    </item>""")
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>{category} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{category}</link>
    <description>{category} updates on the arXiv.org e-print archive.</description>
    <atom:link href="https://rss.arxiv.org/rss/{category}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Thu, 21 Mar 2024 00:00:00 -0400</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>Thu, 21 Mar 2024 00:00:00 -0400</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>{"".join(parts)}
  </channel>
</rss>
""".encode()


def oai_page(papers: list[Fake], token: str | None, *, cursor: int = 0, size: int = 0,
             date: str = "2024-03-21T12:00:00Z", deleted: tuple[str, ...] = ()) -> bytes:
    """An OAI-PMH ListRecords page in the arXiv metadata format."""
    records = []
    for p in papers:
        authors = "".join(
            f"<author><keyname>{escape(a.split()[-1])}</keyname><forenames>{escape(' '.join(a.split()[:-1]))}</forenames></author>"
            for a in p.authors
        )
        records.append(f"""
<record><header><identifier>oai:arXiv.org:{p.id}</identifier><datestamp>2024-03-21</datestamp><setSpec>cs</setSpec></header><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">
<id>{p.id}</id><created>{p.published[:10]}</created><authors>{authors}</authors><title>{escape(p.title)}</title><categories>{" ".join(p.categories)}</categories><comments>9 pages</comments><license>http://creativecommons.org/licenses/by/4.0/</license><abstract>  {escape(p.abstract)}
</abstract></arXiv>
</metadata></record>""")
    for ident in deleted:
        records.append(f"""
<record><header status="deleted"><identifier>oai:arXiv.org:{ident}</identifier><datestamp>2024-03-21</datestamp><setSpec>cs</setSpec></header></record>""")
    if token is None:
        resumption = f'<resumptionToken cursor="{cursor}" completeListSize="{size}"/>' if size else ""
    else:
        resumption = f'<resumptionToken cursor="{cursor}" completeListSize="{size}">{token}</resumptionToken>'
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>{date}</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://oaipmh.arxiv.org/oai</request>
<ListRecords>{"".join(records)}
{resumption}
</ListRecords>
</OAI-PMH>
""".encode()


def oai_error(code: str, message: str, date: str = "2024-03-22T12:00:00Z") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>{date}</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv" set="cs">http://oaipmh.arxiv.org/oai</request>
<error code="{code}">{escape(message)}</error>
</OAI-PMH>
""".encode()


def hf_daily(papers: list[Fake]) -> bytes:
    """The Hugging Face ``/api/daily_papers?date=`` answer."""
    items = []
    for n, p in enumerate(papers):
        authors = [{"_id": f"65f{n}{i:04d}", "name": a, "hidden": False} for i, a in enumerate(p.authors)]
        items.append({
            "paper": {
                "id": p.id, "authors": authors, "publishedAt": p.published, "title": p.title,
                "summary": p.abstract, "upvotes": p.upvotes, "discussionId": f"65fa{n:04d}",
            },
            "publishedAt": "2024-03-20T02:11:14.000Z", "title": p.title, "summary": p.abstract,
            "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{p.id}.png",
            "numComments": n + 1,
            "submittedBy": {"_id": "60f1abe7544c2adfd699860c", "fullname": "AK", "name": "akhaliq"},
        })
    return json.dumps(items, indent=1).encode()


def start_server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    return server


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def raw_server(answer: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A bare TCP server on 127.0.0.1 for answers a well-behaved server never gives.

    ``answer(conn, stop)`` handles each connection; ``stop`` is set when the
    block ends, so a handler that hangs on purpose can be released.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                try:
                    conn.recv(65536)
                    answer(conn, stop)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
