"""The search index: derived from the library, rebuildable at any time (see ARCHITECTURE.md).

Importing this package loads nothing; ``index.SearchIndex`` is the entry point.
"""
