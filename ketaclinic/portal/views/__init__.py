"""The patient portal's pages: signing in (``signin``) and the patient's own pages (``pages``)."""
