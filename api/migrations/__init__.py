"""Catalog revisions of the api package, applied by archive.catalog with every other package's."""
