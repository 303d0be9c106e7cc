"""Views of the treatment session, one module per page: today's list, the session at the chair (check-in and
monitoring), discharge and the note, the REMS form and tracker, and the floor board."""
