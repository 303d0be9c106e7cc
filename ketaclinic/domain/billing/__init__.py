"""Billing rules as pure Python: billing codes with our own short labels and effective dates, the claim builder
(each line says why), the ASC X12 837P text, invoice arithmetic. Facts and sources: the billing knowledge base
(CMS, payer policies, the X12 005010X222A1 map as transcribed by pyx12)."""
