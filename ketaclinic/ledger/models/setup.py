"""What a clinic sets up before it handles stock: each location's DEA registration, products, suppliers, policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location
from ketaclinic.domain.controlled import deadlines, draws, expiry

NDC = RegexValidator(
    r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})$",
    "Enter the NDC with its hyphens: 4-4-2, 5-3-2, 5-4-1 or 5-4-2 digits (e.g. 12345-678-90).",
)


def validate_dea_number(value: str) -> None:
    """A DEA registration number: two letters and seven digits whose last digit is the check digit
    ((d1 + d3 + d5) + 2 × (d2 + d4 + d6), last digit)."""
    if len(value) != 9 or not value[:2].isalpha() or not value[:2].isupper() or not value[2:].isdigit():
        raise ValidationError("A DEA number is two capital letters and seven digits, e.g. AB1234563.")
    digits = [int(char) for char in value[2:]]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    if check != digits[6]:
        raise ValidationError("This DEA number's check digit does not match; check it against the certificate.")


class Registrant(models.Model):
    """One DEA registration per location (controlled-substances.md: separate records per registered location)."""

    location = models.OneToOneField(Location, on_delete=models.PROTECT, related_name="dea_registrant")
    registrant_name = models.CharField(max_length=200, help_text="The name on the DEA certificate.")
    dea_number = models.CharField("DEA registration number", max_length=9, validators=[validate_dea_number])
    schedules = models.CharField(max_length=40, default="3, 3N", help_text="Schedules on the certificate.")
    address = models.TextField(help_text="The registered address, as on the certificate.")
    expires_on = models.DateField("registration expires on")
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dea_number"], name="ledger_registrant_dea_unique")]

    def __str__(self) -> str:
        return f"{self.registrant_name} ({self.dea_number})"

    def is_current(self, on: dt.date) -> bool:
        return self.expires_on >= on


class Product(models.Model):
    """A finished form of a controlled substance (clinical-rules.md §3 lists the ketamine and esketamine products)."""

    class Substance(models.TextChoices):
        KETAMINE = "ketamine_hcl", "Ketamine hydrochloride"
        ESKETAMINE = "esketamine_hcl", "Esketamine hydrochloride"

    class Form(models.TextChoices):
        INJECTION = "injection", "Injection (solution)"
        NASAL_SPRAY = "nasal_spray", "Nasal spray"

    class ContainerKind(models.TextChoices):
        VIAL = "vial", "Vial"
        DEVICE = "device", "Nasal spray device"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="ledger_products")
    name = models.CharField(max_length=200, help_text="e.g. Ketamine HCl injection 10 mg/mL, 20 mL vial")
    substance = models.CharField(max_length=20, choices=Substance.choices)
    ndc = models.CharField("NDC", max_length=13, validators=[NDC])
    rxnorm_code = models.CharField("RxNorm code", max_length=12, blank=True)
    schedule = models.CharField(max_length=4, choices=[("CIII", "Schedule III")], default="CIII")
    form = models.CharField(max_length=20, choices=Form.choices, default=Form.INJECTION)
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)",
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="mg of the substance per mL, e.g. 10, 50, 100; esketamine 28 mg per 0.2 mL is 140.",
    )
    container_volume_ml = models.DecimalField(
        "container volume (mL)", max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    container_kind = models.CharField(max_length=10, choices=ContainerKind.choices, default=ContainerKind.VIAL)
    containers_per_package = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="e.g. 2 or 3 devices in an esketamine kit."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "ndc"], name="ledger_product_ndc_unique_per_clinic"),
            models.CheckConstraint(condition=models.Q(concentration_mg_per_ml__gt=0), name="ledger_product_conc_gt0"),
            models.CheckConstraint(condition=models.Q(container_volume_ml__gt=0), name="ledger_product_volume_gt0"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (NDC {self.ndc})"

    @property
    def strength(self) -> str:
        return f"{self.concentration_mg_per_ml.normalize():f} mg/mL"

    @property
    def container_size(self) -> str:
        return f"{self.container_volume_ml.normalize():f} mL {self.get_container_kind_display().lower()}"


class Supplier(models.Model):
    """A counterparty: a distributor we receive from, or a reverse distributor we transfer to."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="ledger_suppliers")
    name = models.CharField(max_length=200)
    address = models.TextField()
    dea_number = models.CharField("DEA registration number", max_length=9, validators=[validate_dea_number])
    is_reverse_distributor = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "dea_number"], name="ledger_supplier_dea_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.dea_number})"


# Clinic policy defaults that no rule gives as a number (shown in the UI as "clinic policy default").
POLICY_SIGNIFICANT_MG = Decimal("10.00")
POLICY_SIGNIFICANT_PERCENT = Decimal("5.0")
POLICY_PATTERN_COUNT = 3
POLICY_PATTERN_DAYS = 90
POLICY_ALERT_DAYS = 30


class LedgerPolicy(models.Model):
    """A clinic's ledger settings. Regulatory defaults cite controlled-substances.md; the rest are ketaclinic's clinic
    policy defaults (no federal number exists) and the settings page says so."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="ledger_policy")
    backdate_limit_hours = models.PositiveIntegerField(
        default=deadlines.BACKDATE_LIMIT_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="Entries recorded later than this after the event need a reason and are flagged (clinic policy "
        "default 24 h; records are kept current, 21 CFR 1304.21(a)).",
    )
    inventory_interval_months = models.PositiveSmallIntegerField(
        default=deadlines.BIENNIAL_INTERVAL_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(deadlines.BIENNIAL_INTERVAL_MONTHS)],
        help_text="Months between full inventories: at most 24 (federal biennial); shorter where the state asks, "
        "e.g. 12 for an annual inventory.",
    )
    retention_years = models.PositiveSmallIntegerField(
        default=deadlines.RETENTION_YEARS,
        validators=[MinValueValidator(deadlines.RETENTION_YEARS), MaxValueValidator(50)],
        help_text="Years ledger records are kept: at least 2 (21 CFR 1304.04); states may ask for longer.",
    )
    inventory_alert_days = models.PositiveSmallIntegerField(
        default=POLICY_ALERT_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Warn this many days before the next inventory is due (clinic policy default: 30).",
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        "warn of expiry (days ahead)",
        default=expiry.SOON_DAYS_DEFAULT,
        validators=[MinValueValidator(0), MaxValueValidator(expiry.SOON_DAYS_MAX)],
        help_text='Containers whose lot expires within this many days are marked "expires soon" wherever they are '
        "listed (clinic policy default: 30 days; no rule gives a number). Expired stock is never offered.",
    )
    draw_tolerance_percent = models.DecimalField(
        "draw tolerance (%)",
        max_digits=4,
        decimal_places=1,
        default=draws.TOLERANCE_PERCENT_DEFAULT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(draws.TOLERANCE_PERCENT_MAX)],
        help_text="A volume drawn at the chair that differs from the order's volume by more than this share needs a "
        "written reason (clinic policy default: 10 %; no regulation or label gives a number).",
    )
    significant_discrepancy_mg = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=POLICY_SIGNIFICANT_MG,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="A count discrepancy of at least this many mg is significant (clinic policy default: 10 mg; "
        "not a legal threshold — the DEA gives no number).",
    )
    significant_discrepancy_percent = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=POLICY_SIGNIFICANT_PERCENT,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("100"))],
        help_text="... or at least this share of the book balance (clinic policy default: 5 %).",
    )
    discrepancy_pattern_count = models.PositiveSmallIntegerField(
        default=POLICY_PATTERN_COUNT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The n-th discrepancy for a product at a location within the window is significant, however small "
        "(a pattern of small losses is significant; clinic policy default: 3).",
    )
    discrepancy_pattern_days = models.PositiveSmallIntegerField(
        default=POLICY_PATTERN_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The window for that pattern, in days (clinic policy default: 90).",
    )
    extra_holidays = models.TextField(
        blank=True,
        help_text="Days the clinic does not count as business days besides weekends and federal holidays "
        "(state holidays, closures): one date per line, YYYY-MM-DD.",
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name_plural = "ledger policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=deadlines.RETENTION_YEARS), name="ledger_policy_retention_min"
            ),
            models.CheckConstraint(
                condition=models.Q(inventory_interval_months__lte=deadlines.BIENNIAL_INTERVAL_MONTHS),
                name="ledger_policy_interval_max",
            ),
        ]

    def __str__(self) -> str:
        return f"ledger policy of {self.clinic_id}"

    @property
    def backdate_limit(self) -> dt.timedelta:
        return dt.timedelta(hours=self.backdate_limit_hours)

    def holidays(self) -> frozenset[dt.date]:
        return frozenset(parse_holidays(self.extra_holidays))


def parse_holidays(text: str) -> list[dt.date]:
    days = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            days.append(dt.date.fromisoformat(line))
        except ValueError:
            raise ValidationError({"extra_holidays": f"Line {number}: {line!r} is not a date (YYYY-MM-DD)."}) from None
    return days
