from .common import FunnelCase


class GatesCase(FunnelCase):
    """Fixtures on the shipped standard funnel stages (not demo data)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.stage_acquisition = ref("sales_funnel_std.crm_stage_acquisition")
        cls.stage_qualification = ref("sales_funnel_std.crm_stage_qualification")
        cls.stage_discovery = ref("sales_funnel_std.crm_stage_discovery")
        cls.stage_proposal = ref("sales_funnel_std.crm_stage_proposal")
        cls.stage_negotiation = ref("sales_funnel_std.crm_stage_negotiation")
        cls.stage_won = cls.env["crm.stage"].search([("funnel_role", "=", "won")])
        cls.item_contact = ref("sales_funnel_std.crm_stage_checklist_item_acquisition_contact")
        cls.item_first_visit = ref(
            "sales_funnel_std.crm_stage_checklist_item_acquisition_first_visit"
        )
        cls.item_requirements = ref(
            "sales_funnel_std.crm_stage_checklist_item_discovery_requirements"
        )
        cls.item_bottom_line = ref(
            "sales_funnel_std.crm_stage_checklist_item_negotiation_bottom_line"
        )

    def _acq_lead(self, user=None, **vals):
        """A lead in Lead acquisition, seen through the test's current user."""
        lead = self._lead(user=user, stage_id=self.stage_acquisition.id, **vals)
        return lead.with_env(self.env)

    def _line(self, lead, item):
        return lead.checklist_line_ids.filtered(lambda line: line.item_id == item)

    def _tick_acquisition(self, lead):
        (self._line(lead, self.item_contact) | self._line(lead, self.item_first_visit)).write(
            {"is_done": True}
        )
