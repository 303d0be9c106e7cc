"""Staff pages of the ledger, one module per concept: ``stock`` (overview, containers, entries, receipts,
administration, waste, corrections), ``disposal`` (transfer, destruction, theft/loss), ``inventory``, ``setup``
and ``reports``. Each view is thin: load through ``queries``, validate a form, call one service, render."""
