from odoo.tests import new_test_user

from .common_gates import GatesCase


class OwnersCase(GatesCase):
    """Checklist items owned by someone else than the salesperson, and approvals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_legal = new_test_user(
            cls.env,
            login="sf_legal",
            name="Funnel Legal",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            lang="en_US",
        )
        cls.user_leader = new_test_user(
            cls.env,
            login="sf_leader",
            name="Funnel Leader",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            lang="en_US",
        )
        cls.team_1.user_id = cls.user_leader
        cls.Item = cls.env["crm.stage.checklist.item"]

    def _activities(self, lead, xmlid, active=True):
        return self._lead_activities(
            lead, ("activity_type_id", "=", self.env.ref(xmlid).id), active
        )
