"""Session images are data the nodes report: a booking is only placed on a
node that has its image, and an image that disappears turns its bookings
at risk before their start."""

from controller.extensions import db
from controller.models import Booking
from tests.controller.helpers import approve, assert_error, booking_payload

JUPYTER = "jupyter/base-notebook:latest"
SSH = "lab/ssh:latest"


def reporting(*images: str) -> dict:
    return {"status": "ok", "images": list(images)}


def test_an_image_no_node_has_cannot_be_booked(client, student_headers, factory):
    factory.agent(last_health=reporting(JUPYTER))
    body = assert_error(client.post("/api/student/book", headers=student_headers,
                                    json=booking_payload(image=SSH)), 422, "validation_error")
    assert SSH in body["message"] and body["details"]["image"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == 0
    assert client.post("/api/student/book", headers=student_headers,
                       json=booking_payload(image=JUPYTER)).status_code == 201


def test_the_options_say_which_images_can_be_booked_and_why_not(client, student_headers, factory):
    factory.agent(last_health=reporting("jupyter/base-notebook"))  # the tag is implied
    factory.agent(last_health=reporting(SSH), status="maintenance")
    body = client.get("/api/student/options", headers=student_headers).get_json()
    by_name = {i["name"]: i for i in body["images"]}
    assert (by_name[JUPYTER]["available"], by_name[JUPYTER]["unavailable_reason"]) == (True, None)
    assert by_name[SSH]["available"] is False and "No node" in by_name[SSH]["unavailable_reason"]
    assert body["default_image"] == JUPYTER


def test_approval_places_only_on_a_node_with_the_image(client, admin_headers, factory):
    without = factory.agent(cpu_cores=32, last_health=reporting(SSH))
    with_it = factory.agent(cpu_cores=4, last_health=reporting(JUPYTER, SSH))
    booking = factory.booking(factory.user(), image=JUPYTER)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == with_it.id
    pinned = factory.booking(factory.user(), image=JUPYTER)
    body = assert_error(approve(client, admin_headers, pinned.id, agent_id=without.id), 409, "conflict")
    assert "does not have the image" in body["message"] and without.name in body["message"]
    db.session.refresh(pinned)
    assert (pinned.status, pinned.agent_id) == ("pending", None)


def test_a_node_that_never_reported_its_images_may_take_any(client, admin_headers, factory):
    node = factory.agent(last_health=None)
    booking = factory.booking(factory.user(), image=SSH)
    assert approve(client, admin_headers, booking.id).get_json()["agent_id"] == node.id


def test_an_image_removed_from_a_node_turns_its_upcoming_bookings_at_risk(client, admin_headers, factory):
    node = factory.agent(last_health=reporting(JUPYTER))
    booking = factory.booking(factory.user(), image=JUPYTER, status="approved", agent_id=node.id)

    def at_risk() -> bool:
        return client.get(f"/api/admin/bookings/{booking.id}", headers=admin_headers).get_json()["at_risk"]

    assert at_risk() is False
    node.last_health = reporting(SSH)
    db.session.commit()
    assert at_risk() is True


def test_the_nodes_page_lists_each_nodes_images(client, admin_headers, factory):
    factory.agent(name="gpu1", last_health=reporting(SSH, JUPYTER))
    factory.agent(name="new1", last_health=None)
    items = {a["name"]: a["images"] for a in client.get("/api/admin/agents", headers=admin_headers).get_json()["items"]}
    assert items == {"gpu1": [JUPYTER, SSH], "new1": None}
