"""The case loop announces each recorded action once its transaction commits, to apps that listen."""

import pytest

from civicgrid.cases import services
from civicgrid.cases.signals import CaseAnnouncement, case_event_committed
from civicgrid.cases.tests.conftest import report

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_action_is_announced_after_commit_and_a_failing_listener_changes_nothing(cw, category, caplog):
    case = report(cw, category)
    heard: list[CaseAnnouncement] = []

    def listen(sender, event, **kwargs):
        heard.append(event)

    def broken(sender, event, **kwargs):
        raise RuntimeError("listener down")

    case_event_committed.connect(listen)
    case_event_committed.connect(broken)
    try:
        services.case_act(case=case, action="accept", actor=cw.grid_worker)
    finally:
        case_event_committed.disconnect(listen)
        case_event_committed.disconnect(broken)
    case.refresh_from_db()
    assert case.state != "reported"
    [event] = heard
    assert (event.case_id, event.action, event.reporter_id) == (case.pk, "accept", case.reporter_id)
    assert event.source == case.source and event.village_id == case.village_id
    assert "listener down" in caplog.text
