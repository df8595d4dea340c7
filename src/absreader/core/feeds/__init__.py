"""Fetching papers: arXiv RSS and API, OAI-PMH harvests, Hugging Face daily papers.

``sources`` parses a SOURCE and fetches it page by page over ``http`` (httpx
with timeouts, caps and plain-words errors); ``formats`` turns each body into
Records (Atom through the import parser); ``runner`` commits every page
through :meth:`Library.upsert`, like an import, and then moves the feed's
state in ``state``. The CLI and the reader reach it all through
:meth:`Catalog.fetch`.
"""
