"""Catalog revisions of the retention package, applied by archive.catalog with every other package's."""
