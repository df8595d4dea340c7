"""A hashable key of a query tree that is equal for trees that match and rank alike.

While typing, a last word of one or two letters matches everything and ranks
nothing (``Every``), so ``diffusion m`` and ``diffusion mo`` are the same
search as each other (``diffusion`` AND everything). Their texts differ, so
the ranking cache keyed by text misses; keyed by :func:`tree_key` the second
keystroke reuses the first one's ranking. The key drops ``Every`` from a
conjunction of boost 1 (every tier is already cut to the live documents, and
``Every`` adds nothing to a score or a bound) and keeps everything else: field,
text, boost, slop, and the order of the children (the order of summing).
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq


def tree_key(q: wq.Query) -> Any:
    """The key of ``q`` (nested tuples)."""
    if isinstance(q, wq.And) and q.boost == 1.0:
        kids = [c for c in q.subqueries if not isinstance(c, wq.Every)]
        if kids and len(kids) < len(q.subqueries):
            if len(kids) == 1:
                return tree_key(kids[0])
            return ("And", tuple(map(tree_key, kids)), 1.0, getattr(q, "scale", None))
    name = type(q).__name__
    if isinstance(q, wq.Phrase):
        return (name, q.fieldname, tuple(q.words), q.slop, q.boost)
    if isinstance(q, (wq.Term, wq.Prefix)):  # PrefixTerms is a Prefix
        return (name, q.fieldname, q.text, q.boost)
    if isinstance(q, (wq.AndNot, wq.AndMaybe)):
        return (name, tree_key(q.a), tree_key(q.b), q.boost)
    if isinstance(q, wq.Not):
        return (name, tree_key(q.query), q.boost)
    if isinstance(q, wq.CompoundQuery):
        return (name, tuple(map(tree_key, q.subqueries)), q.boost, getattr(q, "scale", None))
    if isinstance(q, wq.Every):
        return (name, q.fieldname)
    if q is wq.NullQuery:
        return ("Null",)
    return (name, repr(q))
