"""Issue 13: the keyed hash chain and, on PostgreSQL, a trigger that refuses TRUNCATE.

Rows already written keep their plain SHA-256 (the table is append-only: nothing is re-linked); every later row is
HMAC-keyed. The head records, with an HMAC tag under the chain key, the number of the first keyed row, so it must be
run with the production chain key configured (ketaclinic.audit.chain; knowledge/security.md H5).
"""

from django.db import migrations, models

from ketaclinic.audit import chain, guards

TABLE = "audit_auditevent"
CHAIN = "audit"


def mark_keyed_from(apps, schema_editor):
    head_model = apps.get_model("audit", "AuditChainHead")
    head = head_model.objects.filter(pk=1).first()
    if head is None:
        head = head_model(pk=1, last_seq=0, last_hash=chain.GENESIS_HASH)
    head.keyed_from_seq = head.last_seq + 1
    head.keyed_from_tag = chain.keyed_from_tag(CHAIN, head.keyed_from_seq)
    head.save()


def install_truncate_guard(apps, schema_editor):
    guards.install_truncate_guard(schema_editor.connection, TABLE)


def remove_truncate_guard(apps, schema_editor):
    guards.remove_truncate_guard(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="keyed_from_seq",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="keyed_from_tag",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(mark_keyed_from, migrations.RunPython.noop),
        migrations.RunPython(install_truncate_guard, remove_truncate_guard),
    ]
