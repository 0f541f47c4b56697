"""Ingest API for recorder agents."""
