"""A segment's term index (``.trm``): Whoosh's ordered hash file, written with fewer calls.

Whoosh's ``OrderedHashWriter.add`` asks the file for its position twice, makes
three writes through its wrapper and hashes each key through a hex string; a
segment's writer adds hundreds of thousands of terms. :class:`TermIndexWriter`
keeps the position itself, writes each record in one call to the file under
the wrapper and takes the same 32-bit MD5 hash from the digest's last four
bytes. The file is byte for byte Whoosh's (``tests/test_whoosh_equivalence.py``),
and Whoosh's own code writes its hash tables and index at ``close``. It relies
on Whoosh 2.7's internals (``buckets``, ``index``, ``lastkey``, ``_lengths``):
the version ``pyproject.toml`` pins.
"""

from __future__ import annotations

from hashlib import md5
from typing import Any

from whoosh.filedb.filetables import OrderedHashWriter, _lengths

_MD5 = 0  # Whoosh's hash type of an ordered hash file (md5_hash)


class TermIndexWriter(OrderedHashWriter):
    """``OrderedHashWriter`` whose ``add`` writes the same bytes in one call."""

    def __init__(self, dbfile: Any) -> None:
        super().__init__(dbfile)
        if self.hashtype != _MD5:  # pragma: no cover - Whoosh changed its default
            raise RuntimeError("the term index expects Whoosh's MD5 hash")
        self._raw = dbfile.raw_file()
        self._pos = dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        """Add one term (keys strictly increasing) and its term info."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        pos = self._pos
        self.index.append(pos)
        record = _lengths.pack(len(key), len(value)) + key + value
        self._raw.write(record)
        self._pos = pos + len(record)
        # md5_hash: int(hexdigest, 16) & 0xFFFFFFFF, the digest's last four bytes.
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        self.buckets[h & 255].append((h, pos))
        self.lastkey = key
