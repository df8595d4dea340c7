"""Queries: the lexer, the parser (text to query) and the highlighter."""
