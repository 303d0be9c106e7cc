"""The calendar's staff pages: the day view and booking form (``day``), the clinic admin's set-up (``setup``)."""
