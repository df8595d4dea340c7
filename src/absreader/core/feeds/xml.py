"""A small element tree from a fetched XML body, through the same hardened expat set-up as Atom import.

The whole body is already in memory (responses are size-capped), so a tree is
simple and cheap. As in :mod:`absreader.core.sources.atom`, a DOCTYPE or
ENTITY declaration is refused outright (nothing is ever expanded or fetched),
and malformed or cut-off XML is an error naming the line: a fetched page is
taken whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from absreader.core.sources import atom

MAX_DEPTH = 200


class XmlError(ValueError):
    """The body is not usable XML; ``str()`` says why and where."""


@dataclass
class Element:
    """An element: local name (namespace dropped), attributes, text and children."""

    name: str
    attrs: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, name: str) -> Element | None:
        return next((c for c in self.children if c.name == name), None)

    def findall(self, name: str) -> list[Element]:
        return [c for c in self.children if c.name == name]

    def findtext(self, name: str) -> str:
        found = self.find(name)
        return found.text if found is not None else ""

    def iter(self, name: str) -> Iterator[Element]:
        stack = [self]
        while stack:
            node = stack.pop()
            if node.name == name:
                yield node
            stack.extend(reversed(node.children))


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def parse_xml(body: bytes) -> Element:
    """The document's root element; XmlError for refused, malformed or truncated XML."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = atom._refuse
    parser.EntityDeclHandler = atom._refuse
    parser.ExternalEntityRefHandler = atom._refuse
    parser.buffer_text = True
    stack: list[Element] = []
    root: list[Element] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise XmlError(f"XML nested more than {MAX_DEPTH} levels deep")
        node = Element(_local(name), {_local(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except atom._Refused:
        raise XmlError(atom.REFUSED) from None
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) or "syntax error"
        if exc.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] and not body.strip():
            raise XmlError("empty answer (no XML at all)") from None
        if stack and parser.ErrorByteIndex >= len(body.rstrip()) - 1:
            raise XmlError(
                f"truncated XML (it stops at line {exc.lineno} inside <{stack[-1].name}>)"
            ) from None
        raise XmlError(
            f"malformed XML ({reason} at line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    if not root:
        raise XmlError("empty answer (no XML at all)")
    return root[0]
