"""Self-pay invoices, their lines, payments, refunds and credit notes. Money is exact decimal cents.

Nothing here is deleted: a wrong invoice is voided with a reason (only once nothing is left paid on it), a price
taken back is a credit note, money given back is a refund of one payment. An invoice's number comes from its clinic's
sequence when it is issued (``InvoiceCounter``, locked while the number is taken). No card number is stored: a card
payment keeps the card terminal's reference only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location
from ketaclinic.billing.models.fees import Fee
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient


class InvoiceCounter(models.Model):
    """The last invoice number a clinic gave out (one row per clinic, locked while a number is taken)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="invoice_counter")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.clinic}: last invoice {self.last_number}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        VOID = "void", "Void"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invoices")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "number"], name="invoice_number_unique_per_clinic")]

    def __str__(self) -> str:
        return f"Invoice {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:06d}" if self.number else f"draft {self.pk}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    fee = models.ForeignKey(Fee, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines")
    package_sessions = models.PositiveIntegerField(default=0, help_text="A package line: the sessions it covers.")
    covers = models.CharField(max_length=80, blank=True, help_text="A package line: the service key it covers.")
    covered_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="covered_sessions",
        help_text="A session line paid by a package: the package's line.",
    )
    service_date = models.DateField()
    description = models.CharField(max_length=200)
    code = models.CharField("CPT/HCPCS", max_length=5, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["invoice", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="invoice_line_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", "Card (terminal)"
        CASH = "cash", "Cash"
        CHEQUE = "cheque", "Cheque"
        HSA_FSA = "hsa_fsa", "HSA/FSA card"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=8, choices=Method.choices)
    reference = models.CharField(
        max_length=60, blank=True, help_text="The card terminal's reference or the cheque number; never a card number."
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField()
    refunded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["refunded_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount}"


class CreditNote(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_note_amount_positive")]

    def __str__(self) -> str:
        return f"Credit note {self.amount}"
