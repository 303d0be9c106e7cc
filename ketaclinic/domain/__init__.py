"""Pure clinical knowledge and maths for ketaclinic: no Django, no I/O.

Sub-modules: ``instruments`` (rating scales), ``outcomes`` (response/remission maths), ``eligibility`` (guideline
rules), ``dosing`` (weight-based dose arithmetic and protocol limits), ``monitoring`` (vital-sign alerts, cadence,
discharge), ``protocols`` (the protocol library as data files) and ``pk`` (pharmacokinetic simulator).
Every clinical number cites its source in ``shared/knowledge/`` (see each module's docstrings).
"""
