"""Pure clinical knowledge and maths for ketaclinic: no Django, no I/O.

Sub-modules: ``vocabulary`` (the shared codes, choice lists and plausibility bounds), ``instruments`` (rating
scales), ``outcomes`` (response/remission maths), ``eligibility`` (guideline rules), ``dosing`` (weight-based dose
arithmetic and protocol limits), ``monitoring`` (vital-sign alerts, cadence, discharge), ``protocols`` (the protocol
library as data files) and ``pk`` (pharmacokinetic simulator). They import one another in one direction (no
cycles), with ``vocabulary`` at the bottom.
Every clinical number cites its source in ``shared/knowledge/`` (see each module's docstrings).
"""
