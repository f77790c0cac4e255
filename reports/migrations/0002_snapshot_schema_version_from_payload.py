"""Snapshots stored with payload schema 2 kept the column's default, 1, which the API reports as
"the version of the payload's layout". Set it from each payload (a column that describes the payload;
the payload and its hash, which permalinks rely on, are not touched)."""

from typing import Any

from django.db import migrations, models


def schema_version_from_payload(apps: Any, schema_editor: Any) -> None:
    FigureSnapshot = apps.get_model("reports", "FigureSnapshot")
    versions = FigureSnapshot.objects.values_list("pk", "schema_version", "payload__schema_version")
    for pk, stored, in_payload in versions.iterator():
        if in_payload is not None and stored != int(in_payload):
            FigureSnapshot.objects.filter(pk=pk).update(schema_version=int(in_payload))


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="figuresnapshot",
            name="schema_version",
            field=models.PositiveSmallIntegerField(default=1, help_text="The payload's schema_version"),
        ),
        migrations.RunPython(schema_version_from_payload, migrations.RunPython.noop),
    ]
