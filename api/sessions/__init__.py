"""Sessions area of the web service."""
