"""The only code that knows the Whoosh W3 on-disk format: schema, segments, writing, merging."""
