"""The site's own pages: ``site`` (public education pages, the staff home, the health check) and ``audit_log``
(the audit viewer for clinic admins)."""
