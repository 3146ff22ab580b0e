"""The admin writes rows directly; closures, buffer changes and leave over booked blocks are
refused there too, with the services' messages."""

from __future__ import annotations

import pytest

from instructors.models import Unavailability
from venues.models import RoomClosure

pytestmark = pytest.mark.django_db

# The `schedule` fixture's block: 2030-03-04 09:00-12:00 Paris, 08:00-11:00 UTC (admin times
# are in TIME_ZONE, UTC).
OVER_THE_BLOCK = {
    "starts_at_0": "2030-03-04",
    "starts_at_1": "07:00:00",
    "ends_at_0": "2030-03-04",
    "ends_at_1": "09:00:00",
}


def test_a_closure_over_a_booked_block_is_refused_in_the_admin(admin_client, schedule, room):
    session = schedule()

    response = admin_client.post(
        "/admin/venues/roomclosure/add/", {"room": room.pk, "reason": "Painting", **OVER_THE_BLOCK}
    )

    assert response.status_code == 200  # the form again, with the error
    assert f"is booked during this closure. Sessions: #{session.pk}" in response.content.decode()
    assert not RoomClosure.objects.exists()

    later = {**OVER_THE_BLOCK, "starts_at_1": "12:00:00", "ends_at_1": "13:00:00"}
    admin_client.post("/admin/venues/roomclosure/add/", {"room": room.pk, "reason": "x", **later})
    assert RoomClosure.objects.count() == 1  # a free time is fine


def test_leave_over_a_booked_block_is_refused_in_the_admin(admin_client, schedule, instructor):
    schedule()

    response = admin_client.post(
        "/admin/instructors/unavailability/add/",
        {
            "instructor": instructor.pk,
            "kind": Unavailability._meta.get_field("kind").choices[0][0],
            "note": "",
            **OVER_THE_BLOCK,
        },
    )

    assert response.status_code == 200
    assert "teaches during this period" in response.content.decode()
    assert not Unavailability.objects.exists()


def test_room_buffers_cannot_change_in_the_admin_while_bookings_are_to_come(
    admin_client, schedule, room
):
    schedule()
    data = {
        "site": room.site_id,
        "name": room.name,
        "capacity": room.capacity,
        "setup_buffer_minutes": room.setup_buffer_minutes + 15,
        "teardown_buffer_minutes": room.teardown_buffer_minutes,
        "bookable": "on",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/venues/room/{room.pk}/change/", data)

    assert response.status_code == 200
    assert "has upcoming bookings; its buffers cannot change" in response.content.decode()
    room.refresh_from_db()
    assert room.setup_buffer_minutes == data["setup_buffer_minutes"] - 15
