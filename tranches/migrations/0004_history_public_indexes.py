# Indexes for the public reads, which all go through the history tables (tranches.selectors.public_versions).
#
# django-simple-history generates the historical models, so their indexes cannot be declared in a
# Meta: these are database-only operations (the models' state is unchanged, so makemigrations sees
# nothing to do). docs/BENCHMARKS.md shows the queries and plans they serve.

from django.db import migrations, models
from django.db.models import Q

PUBLISHED = Q(status="published")

# "Is there a newer published version of this record?": an index-only probe per row.
LATEST = {
    "historicalinstrument": "tr_hinstrument_pub_latest",
    "historicalcomponent": "tr_hcomponent_pub_latest",
    "historicaltranche": "tr_htranche_pub_latest",
    "historicaldisbursement": "tr_hdisbursement_pub_latest",
    "historicalsource": "tr_hsource_pub_latest",
    "historicalcitation": "tr_hcitation_pub_latest",
}


# Lists in their default order, fast-started: the disbursements' (value_date, id) (their cursor
# pages and the snapshot's list of payments).
ORDERED = {
    "historicaldisbursement": ("tr_hdisbursement_pub_date", ["value_date", "id"]),
}


def _index(fields, name):
    return models.Index(fields=fields, name=name, condition=PUBLISHED)


class Migration(migrations.Migration):
    dependencies = [
        ("tranches", "0003_publishable_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                *[
                    migrations.AddIndex(model_name=model, index=_index(["id", "history_id", "history_date"], name))
                    for model, name in LATEST.items()
                ],
                *[
                    migrations.AddIndex(model_name=model, index=_index(fields, name))
                    for model, (name, fields) in ORDERED.items()
                ],
            ],
            state_operations=[],
        ),
    ]
