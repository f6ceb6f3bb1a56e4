"""Decisions keep their village, indexed with their state and due date, for the village's list of
decisions (the meetings part of issue 14). The app's tables are new: added nullable, then required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("places", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="places.place",
            ),
        ),
        migrations.AlterField(
            model_name="decision",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="places.place",
            ),
        ),
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(fields=["village", "state", "due_on"], name="gov_decision_village_idx"),
        ),
    ]
