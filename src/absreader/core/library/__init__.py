"""The library: the store of record (SQLite, WAL) for papers and personal data.

``Library`` is the class the catalog uses; the modules beside it hold the
rules: ``store`` (file, connections, lock scheme), ``errors``, ``records``
(cleaning), ``merge`` (identity and merging), ``papers`` (reads), ``personal``,
``tags`` (the one tag rule), ``saved``.
"""

from absreader.core.library.errors import LibraryError, NotFound
from absreader.core.library.library import Library
from absreader.core.library.merge import UpsertStats
from absreader.core.library.personal import MAX_NOTE_LENGTH
from absreader.core.library.records import Clean, clean_note, clean_record
from absreader.core.library.saved import MAX_SEARCH_NAME
from absreader.core.library.schema import SCHEMA_VERSION
from absreader.core.library.tags import MAX_TAG_LENGTH, check_tag, normalise_tag

__all__ = [
    "MAX_NOTE_LENGTH",
    "MAX_SEARCH_NAME",
    "MAX_TAG_LENGTH",
    "SCHEMA_VERSION",
    "Clean",
    "Library",
    "LibraryError",
    "NotFound",
    "UpsertStats",
    "check_tag",
    "clean_note",
    "clean_record",
    "normalise_tag",
]
