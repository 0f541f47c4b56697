"""Verification of what the archive holds: recordings, fixity, disposals."""
