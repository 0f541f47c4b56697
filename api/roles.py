"""Which roles may do what (the brief's users); checked before anything is looked up.

Window staff tag sessions and drop markers through their recorder; in the web service they
see their windows' status and day timelines, not the evidence. Supervisors review and handle
complaints; inspectors search, watch and place holds; administrators manage the registry and
people but watch nothing; auditors read the access log and nothing else.
"""

from __future__ import annotations

from archive.evidence.vocabulary import Role

ALL = tuple(Role)
EVIDENCE = (Role.SUPERVISOR, Role.INSPECTOR)  # sessions, transcripts, playback, cases, search
REVIEW = (Role.SUPERVISOR,)  # score sessions, write notes
NOTE = (Role.SUPERVISOR, Role.INSPECTOR)
COMPLAINT_READ = (Role.SUPERVISOR, Role.INSPECTOR)
COMPLAINT_WRITE = (Role.SUPERVISOR,)  # register, accept, close
COMPLAINT_LINK = (Role.SUPERVISOR, Role.INSPECTOR)  # link sessions: places a hold
TIMELINE = (Role.WINDOW_STAFF, Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN)
VIEWERS = (Role.AUDITOR, Role.SUPERVISOR, Role.INSPECTOR)  # who watched a session
AUDIT = (Role.AUDITOR,)
ADMIN = (Role.ADMIN,)
