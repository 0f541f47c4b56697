"""Audit area of the web service."""
