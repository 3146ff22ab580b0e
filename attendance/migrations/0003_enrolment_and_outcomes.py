"""Enrolment and outcomes become two state machines: a registration's status is only where
the learner stands for a seat (attended and no-show leave it), and `Completion` records what
came of it. The seat door takes every path (promotion and accepting offers too) and serves
the line first come, first served; a cancelled session cancels its registrations, and a
capacity cannot go below the seats held, by any path (triggers). All from attendance/sql/."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tms.sql_functions import InstallFunctions


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0002_seat_functions'),
        ('scheduling', '0003_seat_limit_function'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('notifications', '0003_outbox_channels'),
    ]

    operations = [
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS attendance_take_seat(bigint, bigint, text, text, bigint, "
            "timestamptz, text, timestamptz, timestamptz, timestamptz, jsonb, boolean, "
            "double precision)",
            migrations.RunSQL.noop,
        ),
        migrations.CreateModel(
            name='Completion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('status', models.CharField(choices=[('completed', 'Completed'), ('not_completed', 'Not completed')], max_length=16)),
                ('recorded_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['-recorded_at', 'pk'],
            },
        ),
        migrations.AlterField(
            model_name='registration',
            name='status',
            field=models.CharField(choices=[('confirmed', 'Confirmed'), ('waitlisted', 'Waitlisted'), ('offered', 'Seat offered'), ('cancelled', 'Cancelled')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['confirmed', 'waitlisted', 'offered', 'cancelled'])), name='registration_status_is_an_enrolment_status'),
        ),
        migrations.AddField(
            model_name='completion',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='completion',
            name='registration',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='completion', to='attendance.registration'),
        ),
        InstallFunctions(
            "attendance",
            "attendance_learner_clash",
            "attendance_free_seats",
            "attendance_queue",
            "attendance_queue_position",
            "attendance_take_seat",
            "attendance_session_cancelled",
            "attendance_capacity_covers_seats",
        ),
    ]
