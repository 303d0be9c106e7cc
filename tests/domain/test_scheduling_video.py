"""The video link of a telehealth visit: https to a named host only, no credentials, no spaces, at most 500 chars."""

from __future__ import annotations

import pytest

from ketaclinic.domain.scheduling.video import MAX_VIDEO_URL_LENGTH, VIDEO_KINDS, video_link_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://video.example.org/room/abc",
        "HTTPS://meet.example.com/j/123?pwd=x",
        "https://video.example.org:8443/r",
        "https://video.example.org/" + "x" * (MAX_VIDEO_URL_LENGTH - 26),
    ],
)
def test_good_links(url: str) -> None:
    assert video_link_problem(url) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://video.example.org/r", "https"),
        ("javascript:alert(1)", "https"),
        ("data:text/html,hi", "https"),
        ("video.example.org/r", "https"),
        ("https:///nohost", "video service's address"),
        ("https://intranet/r", "video service's address"),
        ("https://user@video.example.org/r", "username or password"),
        ("https://:pw@video.example.org/r", "username or password"),
        ("https://video.example.org/a b", "no spaces"),
        ("https://video.example.org/a\x00b", "no spaces"),
        ("https://video.example.org:port/r", "not a web address"),
        ("https://[::1/r", "not a web address"),
        ("https://video.example.org/" + "x" * MAX_VIDEO_URL_LENGTH, "at most"),
    ],
)
def test_bad_links(url: str, words: str) -> None:
    problem = video_link_problem(url)
    assert problem is not None and words in problem


def test_only_telehealth_carries_a_link() -> None:
    assert frozenset({"telehealth"}) == VIDEO_KINDS
