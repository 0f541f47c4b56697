"""Timeline area of the web service."""
