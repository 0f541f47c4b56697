"""The recorder agent: captures cameras, hashes and spools segments, uploads them to the archive."""
