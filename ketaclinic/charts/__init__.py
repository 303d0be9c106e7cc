"""Every chart ketaclinic draws, shared by the command line and the web pages (ARCHITECTURE.md "Layout").

- ``pk``: concentration over time for a simulated session (``ketaclinic pk simulate --plot``, the plan preview);
- ``trajectory``: one scale's scores over time with the response and remission lines (the trajectory page).

Charts take plain values (domain results, or objects with the attributes they read); they import no app.
"""

from ketaclinic.charts.pk import DISSOCIATIVE_RANGE_NG_ML, render_chart
from ketaclinic.charts.trajectory import render_svg

__all__ = ["DISSOCIATIVE_RANGE_NG_ML", "render_chart", "render_svg"]
