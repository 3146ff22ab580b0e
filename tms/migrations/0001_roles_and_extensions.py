from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ROLES = ["Coordinator", "Instructor", "Learner", "Auditor"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        # btree_gist lets exclusion constraints combine "same room" (=) with "overlaps" (&&).
        BtreeGistExtension(),
        migrations.RunPython(create_role_groups, remove_role_groups),
    ]
