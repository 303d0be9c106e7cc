"""ketaclinic: the software a ketamine therapy clinic runs on."""

__version__ = "0.1.0"
