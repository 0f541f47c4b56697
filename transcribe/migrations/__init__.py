"""Catalog revisions of the transcribe package, applied by archive.catalog with every other package's."""
