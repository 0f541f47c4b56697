"""Cases area of the web service."""
