"""The domain: sources, library, index, export. Never imports Textual."""
