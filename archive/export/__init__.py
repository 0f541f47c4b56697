"""Evidence packages: selection, sealed export records, streamed BagIt zips."""
