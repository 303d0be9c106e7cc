"""Moving QuestionnaireLink from outcomes to followup (issue 14) changes Django's state only, and relabels the scores
that name a link as their source so that withdrawing a link's scores still finds them."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as installed_apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from ketaclinic.domain import instruments
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.outcomes.models import Measurement

MOVE = importlib.import_module("ketaclinic.followup.migrations.0001_initial")
pytestmark = pytest.mark.django_db


def test_the_model_keeps_its_table() -> None:
    assert QuestionnaireLink._meta.app_label == "followup"
    assert QuestionnaireLink._meta.db_table == "outcomes_questionnairelink"
    assert "outcomes_questionnairelink" in connection.introspection.table_names()


def test_followup_adopts_the_table_after_outcomes_lets_it_go() -> None:
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    assert ("outcomes", "0003_delete_questionnairelink") in graph.node_map[("followup", "0001_initial")].parents


@pytest.mark.parametrize("module", ["ketaclinic.outcomes.migrations.0003_delete_questionnairelink", MOVE.__name__])
def test_the_move_changes_no_table(module: str) -> None:
    """Only state operations and the relabelling: no CREATE, DROP or ALTER reaches the database."""
    for operation in importlib.import_module(module).Migration.operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            assert operation.database_operations == []
        else:
            assert isinstance(operation, migrations.RunPython) and operation.reversible


def test_scores_from_a_link_are_relabelled_and_back(pat: Any) -> None:
    score = instruments.score("phq9", [1] * 9)
    row = Measurement.objects.create(
        patient=pat,
        instrument="phq9",
        answers=list(score.answers),
        total=float(score.total),
        context=Measurement.Context.HOME,
        source_type=MOVE.OLD_LABEL,
        source_id=1,
    )
    other = Measurement.objects.create(
        patient=pat,
        instrument="phq9",
        answers=list(score.answers),
        total=float(score.total),
        context=Measurement.Context.BASELINE,
        source_type="intake.instrumentresponse",
        source_id=1,
    )
    MOVE.relabel_forward(installed_apps, None)
    row.refresh_from_db()
    other.refresh_from_db()
    assert (row.source_type, other.source_type) == ("followup.questionnairelink", "intake.instrumentresponse")
    assert QuestionnaireLink._meta.label_lower == MOVE.NEW_LABEL
    MOVE.relabel_backward(installed_apps, None)
    row.refresh_from_db()
    assert row.source_type == "outcomes.questionnairelink"
