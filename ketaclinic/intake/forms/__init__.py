"""The intake app's forms: ``consultation`` (the public request form and triage) and ``assessment`` (intake and
sign-off)."""
