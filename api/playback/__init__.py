"""Playback area of the web service."""
