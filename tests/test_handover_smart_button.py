"""The delivery-tasks smart button opens a view titled for what it shows."""

from .common import FunnelCase


class TestHandoverTasksAction(FunnelCase):
    def test_tasks_action_titled_delivery_tasks(self):
        lead = self._lead()
        action = lead.action_view_handover_tasks()
        # the web client's breadcrumb shows display_name (not "All Tasks" of the base action)
        self.assertEqual(action["display_name"], "Delivery Tasks")
        self.assertEqual(action["name"], "Delivery Tasks")
        self.assertEqual(action["domain"], [("funnel_lead_id", "=", lead.id)])
