"""Billing tables, one module per concept; every model is re-exported here so Django finds it."""
