import django.db.models.deletion
from django.db import migrations, models

import mendian.core.models


def set_facts_aside(apps, schema_editor):
    """The facts built before hold no categories: not used until the next build writes them."""
    apps.get_model("analytics", "RollupState").objects.update(facts_through=None, facts_built_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0003_member_facts"),
        ("members", "0002_member_referrer_where_set"),
    ]

    operations = [
        migrations.RunPython(set_facts_aside, migrations.RunPython.noop),
        migrations.DeleteModel(name="MemberCategoryFacts"),
        # the column stays member_id; it becomes a one-to-one link (unique, no database constraint)
        migrations.RenameField(model_name="memberfacts", old_name="member_id", new_name="member"),
        migrations.AlterField(
            model_name="memberfacts",
            name="member",
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                                       related_name="facts", to="members.member"),
        ),
    ] + [
        migrations.AddField(model_name="memberfacts", name=f"categories_{days}",
                            field=mendian.core.models.IdSetField(default=frozenset))
        for days in (7, 14, 30, 60, 90, 180, 365)
    ]
