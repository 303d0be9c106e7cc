"""QuestionnaireLink, moved here from outcomes (outcomes 0003): Django's state adopts the existing table
``outcomes_questionnairelink`` unchanged. The scores and alerts that name a link as their source are relabelled
(``outcomes.questionnairelink`` → ``followup.questionnairelink``), so withdrawing a link's scores still finds them.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


OLD_LABEL, NEW_LABEL = "outcomes.questionnairelink", "followup.questionnairelink"


def _relabel(apps, old, new):
    for model in ("Measurement", "SafetyAlert"):
        apps.get_model("outcomes", model).objects.filter(source_type=old).update(source_type=new)


def relabel_forward(apps, schema_editor):
    _relabel(apps, OLD_LABEL, NEW_LABEL)


def relabel_backward(apps, schema_editor):
    _relabel(apps, NEW_LABEL, OLD_LABEL)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('patients', '0001_initial'),
        ('plans', '0002_measurement_based_care'),
        ('outcomes', '0003_delete_questionnairelink'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='QuestionnaireLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('purpose', models.CharField(choices=[('pre_session', 'Before a treatment session'), ('follow_up', 'Follow-up'), ('manual', 'Sent by a clinician')], max_length=12)),
                ('instruments', models.JSONField(help_text='The scales this link opens, in order.')),
                ('schedule_key', models.CharField(max_length=120, unique=True)),
                ('due_on', models.DateField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('expires_at', models.DateTimeField()),
                ('channel', models.CharField(blank=True, choices=[('email', 'E-mail'), ('sms', 'Text message'), ('none', 'Not sent (no contact details)')], max_length=8)),
                ('sent_to', models.CharField(blank=True, help_text='Masked address, e.g. j***@example.org.', max_length=60)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('send_attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.CharField(blank=True, max_length=300)),
                ('opened_at', models.DateTimeField(blank=True, null=True)),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_reason', models.CharField(blank=True, max_length=300)),
                ('created_by', models.ForeignKey(blank=True, help_text='Empty when the scheduler created it.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='questionnaire_links', to='patients.patient')),
                ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('session_order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='questionnaire_links', to='plans.sessionorder')),
            ],
            options={
                'db_table': 'outcomes_questionnairelink',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['patient', 'created_at'], name='outcomes_qu_patient_c31698_idx'), models.Index(fields=['sent_at', 'expires_at'], name='outcomes_qu_sent_at_4fe4c0_idx')],
            },
        )], database_operations=[]),
        migrations.RunPython(relabel_forward, relabel_backward),
    ]
