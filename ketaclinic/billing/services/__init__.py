"""Every billing write: atomic, audited (ARCHITECTURE.md); one module per concept."""
