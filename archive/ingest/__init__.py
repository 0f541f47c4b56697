"""Taking recordings in: the ingest service, imports of files, recorder presence."""
