"""Getting paid: fee schedules, invoices and payments, superbills, claims (837P), prior authorisations and good-faith
estimates. Pure rules (codes, claim lines, the 837P text, invoice arithmetic) live in ``ketaclinic.domain.billing``.

Layer: above infusions (it bills what was booked and done) and below followup and the portal (which shows bills).
"""
