"""Web area of the web service."""
