"""Complaints area of the web service."""
