"""Search over transcripts and the supervisors' flag queue."""
