"""Billing tables, one module per concept; every model is re-exported here so Django finds it."""

from ketaclinic.billing.models.authorisations import PriorAuthorisation, PriorAuthPolicy
from ketaclinic.billing.models.payers import Coverage, Payer
from ketaclinic.billing.models.profile import BillingProfile, ProviderIdentity

__all__ = ["BillingProfile", "Coverage", "Payer", "ProviderIdentity"]
__all__ += ["PriorAuthPolicy", "PriorAuthorisation"]
