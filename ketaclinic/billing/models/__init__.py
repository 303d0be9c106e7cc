"""Billing tables, one module per concept; every model is re-exported here so Django finds it."""

from ketaclinic.billing.models.authorisations import PriorAuthorisation, PriorAuthPolicy
from ketaclinic.billing.models.claims import Claim, ClaimEvent, ClaimLine
from ketaclinic.billing.models.descriptors import CodeDescriptor
from ketaclinic.billing.models.estimates import GoodFaithEstimate
from ketaclinic.billing.models.fees import Fee, FeeSchedule
from ketaclinic.billing.models.invoices import CreditNote, Invoice, InvoiceCounter, InvoiceLine, Payment, Refund
from ketaclinic.billing.models.payers import Coverage, Payer
from ketaclinic.billing.models.profile import BillingProfile, ProviderIdentity
from ketaclinic.billing.models.superbills import Superbill

__all__ = ["BillingProfile", "Claim", "ClaimEvent", "ClaimLine", "Coverage", "Payer", "ProviderIdentity", "Superbill"]
__all__ += ["CreditNote", "Fee", "FeeSchedule", "GoodFaithEstimate", "Invoice", "InvoiceCounter", "InvoiceLine"]
__all__ += ["Payment", "Refund"]
__all__ += ["PriorAuthPolicy", "PriorAuthorisation"]
__all__ += ["CodeDescriptor"]
