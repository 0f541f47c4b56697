"""Display names of codes (stages, gap causes, roles, flags, states …) as msgids.

`N_` only marks a string for extraction (pybabel extract -k N_); it is translated when shown.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    return message


LABELS: dict[str, dict[str, str]] = {
    "stage": {
        "consultation": N_("Consultation"), "application": N_("Application"),
        "acceptance": N_("Acceptance"), "review": N_("Review and approval"),
        "assignment": N_("Assignment"), "handling": N_("Handling"),
        "closing": N_("Closing"), "archiving": N_("Archiving"),
        "evaluation": N_("Evaluation"), "": N_("No stage"),
    },
    "gap": {
        "camera_unreachable": N_("Camera unreachable"), "stream_stalled": N_("Stream stalled"),
        "recorder_restarted": N_("Recorder restarted"),
        "recorder_offline": N_("Recorder offline"), "disk_full": N_("Disk full"),
        "stopped_by_person": N_("Stopped by a person"),
        "schedule_closed": N_("Outside opening hours"),
    },
    "role": {
        "window_staff": N_("Window staff"), "supervisor": N_("Supervisor"),
        "inspector": N_("Discipline inspector"), "admin": N_("Administrator"),
        "auditor": N_("Auditor"),
    },
    "flag": {
        "money": N_("Money requested or offered"), "refusal": N_("Applicant turned away"),
        "rudeness": N_("Rude reception"), "notice_missing": N_("Recording not announced"),
    },
    "window_state": {
        "recording": N_("Recording"), "stalled": N_("No media coming in"), "idle": N_("Idle"),
    },
    "complaint_state": {
        "registered": N_("Registered"), "accepted": N_("Accepted"), "closed": N_("Closed"),
    },
    "outcome": {
        "substantiated": N_("Substantiated"), "partly_substantiated": N_("Partly substantiated"),
        "unsubstantiated": N_("Unsubstantiated"), "not_accepted": N_("Not accepted"),
        "withdrawn": N_("Withdrawn"),
    },
    "urgency": {
        "overdue": N_("Overdue"), "due_today": N_("Due today"), "due_soon": N_("Due soon"),
        "on_time": N_("On time"),
    },
    "action": {
        "view": N_("Viewed"), "play": N_("Started playback"), "segment": N_("Fetched media"),
        "download": N_("Downloaded"), "export": N_("Exported"), "transcript": N_("Read transcript"),
        "search": N_("Searched"), "review": N_("Reviewed"), "note": N_("Wrote a note"),
        "complaint": N_("Complaint"), "hold": N_("Placed a hold"), "login": N_("Logged in"),
        "login_failed": N_("Failed login"), "logout": N_("Logged out"),
        "admin": N_("Administration"), "audit": N_("Read the access log"),
    },
    "reason": {
        "complaint": N_("Complaint"), "inspection": N_("Inspection ticket"),
        "routine": N_("Routine review"),
    },
    "level": {
        "province": N_("Province"), "prefecture": N_("Prefecture"), "county": N_("County"),
        "station": N_("Station"),
    },
    "window_kind": {
        "window": N_("Service window"), "interview_room": N_("Interview room"),
        "hotline": N_("Hotline"), "mobile": N_("Mobile"),
    },
    "seal": {
        "unsealed": N_("not sealed yet"), "awaiting_seal": N_("awaiting its next seal"),
        "sealed": N_("sealed"),
    },
    "transcript_state": {
        "open": N_("Being transcribed"), "complete": N_("Complete"),
    },
    "score": {"0": N_("No"), "1": N_("Partly"), "2": N_("Yes")},
    "link_kind": {"activation": N_("Activation link"), "reset": N_("Password reset")},
    # API error reasons shown to people in their language (the API's message is English).
    "error": {
        "bad_credentials": N_("Wrong user name or password."),
        "too_many_attempts": N_("Too many failed logins; wait 15 minutes and try again."),
        "no_credentials": N_("Please log in."),
        "no_session": N_("Please log in."),
        "session_expired": N_("Your login has expired; please log in again."),
        "csrf": N_("This page is out of date; reload it and try again."),
        "role": N_("Your role may not do this."),
        "bad_scores": N_("Score every checklist item."),
        "reason_ref_missing": N_("Enter the complaint number or inspection ticket."),
        "unknown_complaint": N_("No complaint with this number is registered."),
        "no_media": N_("Nothing was recorded in this time range."),
        "weak_password": N_("The password is too short or too simple."),
        "bad_link": N_("This link is unknown, used or expired; ask an administrator for a new "
                       "one."),
        "too_new": N_("Your role there is too recent for this approval."),
        "not_independent": N_("A second person of another role or level must approve."),
        "incomplete": N_("Fill in every required field."),
        "exists": N_("This already exists."),
        "already_linked": N_("This session is already linked."),
        "bad_state": N_("Not possible in the complaint's current state."),
        "future_date": N_("The date is in the future."),
        "no_window": N_("Not found."), "no_recording": N_("Not found."),
        "not_found": N_("Not found."), "no_case": N_("Not found."),
        "no_complaint": N_("Not found."),
        "playback_expired": N_("Playback expired; press play again."),
        "bad_offset": N_("The moment is outside the session."),
        "bad_query": N_("The search words are not valid."),
        "self_change": N_("You cannot change your own role, place or access."),
        "invalid_input": N_("Some input is not valid."),
    },
}

# The default quality checklist (api/settings.py), marked here for the message catalogs.
CHECKLIST_TEXTS = (
    N_("Told the applicant the session is recorded"),
    N_("Received the applicant promptly, warmly and politely"),
    N_("Explained scope, materials and time limits all at once"),
    N_("Accepted or referred the matter as the rules say, without passing it on"),
    N_("Asked for and accepted no money, gifts or favours"),
    N_("Registered the application completely and correctly"),
)


def label(kind: str, code: str | None) -> str:
    """The msgid for a code (the code itself when unknown)."""
    if code is None:
        code = ""
    return LABELS.get(kind, {}).get(str(code), str(code))
