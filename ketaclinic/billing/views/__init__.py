"""Billing pages: thin views over the services; one module per concept."""
