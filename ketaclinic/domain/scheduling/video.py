"""The video link of a telehealth visit: the clinic's own video service's meeting address, checked before it is kept.

ketaclinic runs no video infrastructure: staff paste the meeting link of the clinic's video service. A telehealth
controlled-substance prescription needs an audio-video encounter (at-home.md §1.2, 90 FR 61301); the link is what the
patient opens. Only ``https`` links to a named host are accepted (no credentials in the link, no spaces, at most
500 characters), so a plain-text, script or file address can never be offered to a patient.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

__all__ = ["MAX_VIDEO_URL_LENGTH", "VIDEO_KINDS", "video_link_problem"]

MAX_VIDEO_URL_LENGTH: Final = 500
#: The appointment kinds that carry a video link (CONTRACTS §6: ``telehealth``).
VIDEO_KINDS: Final = frozenset({"telehealth"})


def video_link_problem(url: str) -> str | None:
    """Why ``url`` cannot be a visit's video link, or ``None`` when it can (an empty link is checked by the caller)."""
    if len(url) > MAX_VIDEO_URL_LENGTH:
        return f"A video link is at most {MAX_VIDEO_URL_LENGTH} characters."
    if any(char.isspace() for char in url) or any(ord(char) < 32 for char in url):
        return "A video link has no spaces or line breaks."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port out of range or not a number
    except ValueError:
        return "That is not a web address."
    if parts.scheme.lower() != "https":
        return "Only a secure https:// video link is accepted."
    if not parts.hostname or "." not in parts.hostname.strip("."):
        return "The video link needs the video service's address, e.g. https://video.example.org/room."
    if parts.username is not None or parts.password is not None:
        return "A video link must not carry a username or password."
    return None
