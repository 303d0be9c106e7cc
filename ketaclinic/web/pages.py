"""The public site's pages, in reading order (the nav of every public page is built from this list)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublicPage:
    url_name: str
    nav: str
    template: str


# Text is ours; every fact comes from shared/knowledge/ (clinical-rules.md).
PUBLIC_PAGES = (
    PublicPage("web:home", "Home", "web/home.html"),
    PublicPage("web:about", "What it is", "web/about.html"),
    PublicPage("web:how_it_works", "How it works", "web/how_it_works.html"),
    PublicPage("web:conditions", "What it treats", "web/conditions.html"),
    PublicPage("web:treatments", "Ways it is given", "web/treatments.html"),
    PublicPage("web:session", "Your session", "web/session.html"),
    PublicPage("web:risks", "Risks", "web/risks.html"),
    PublicPage("web:candidates", "Who it is not for", "web/candidates.html"),
)
