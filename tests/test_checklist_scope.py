from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import users

from .common_gates import GatesCase

BIG_DEAL = "[('expected_revenue', '>', 100000)]"


class TestChecklistScope(GatesCase):
    """Checklist items for chosen teams and for leads matching a condition."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Item = cls.env["crm.stage.checklist.item"]
        cls.item_team_2 = Item.create(
            {
                "name": "Team 2 credit check",
                "stage_id": cls.stage_acquisition.id,
                "team_ids": [(6, 0, cls.team_2.ids)],
            }
        )
        cls.item_big_deal = Item.create(
            {
                "name": "Big deal sponsor named",
                "stage_id": cls.stage_acquisition.id,
                "condition_domain": BIG_DEAL,
            }
        )

    def _current_items(self, lead):
        return lead.checklist_line_ids.filtered("is_current_stage").item_id

    @users("sf_salesman_1")
    def test_team_scope(self):
        lead = self._acq_lead()
        self.assertNotIn(self.item_team_2, self._current_items(lead))
        self.assertEqual(lead.checklist_required_count, 2)
        self._tick_acquisition(lead)
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    @users("sf_salesman_2")
    def test_team_scope_binds_the_chosen_team(self):
        lead = self._acq_lead(user=self.user_salesman_2)
        self.assertIn(self.item_team_2, self._current_items(lead))
        self._tick_acquisition(lead)
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_qualification.id})
        self.assertIn("Lead acquisition: Team 2 credit check", str(err.exception))
        self.assertNotIn("Big deal sponsor named", str(err.exception))

    @users("sf_salesman_1")
    def test_condition_lines_follow_the_lead(self):
        lead = self._acq_lead()
        self._tick_acquisition(lead)
        self.assertNotIn(self.item_big_deal, self._current_items(lead))
        lead.write({"expected_revenue": 250000})
        self.assertIn(self.item_big_deal, self._current_items(lead))
        self.assertEqual((lead.checklist_required_count, lead.checklist_blocked), (3, True))
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_qualification.id})
        self.assertIn("Lead acquisition: Big deal sponsor named", str(err.exception))
        # the deal shrinks: the line stops being current (kept), the gate lets it through
        lead.write({"expected_revenue": 5000})
        self.assertNotIn(self.item_big_deal, self._current_items(lead))
        self.assertIn(self.item_big_deal, lead.checklist_line_ids.item_id, "line kept")
        self.assertEqual((lead.checklist_required_count, lead.checklist_blocked), (2, False))
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    @users("sf_salesman_1")
    def test_created_matching_lead_gets_the_line(self):
        lead = self._acq_lead(expected_revenue=500000)
        self.assertIn(self.item_big_deal, self._current_items(lead))
        self.assertEqual(lead.checklist_required_count, 3)

    def test_scope_change_of_an_item_updates_the_leads_in_the_stage(self):
        lead = self._acq_lead()
        self.assertNotIn(self.item_team_2, self._current_items(lead))
        self.item_team_2.team_ids = [(4, self.team_1.id)]
        self.assertIn(self.item_team_2, self._current_items(lead))
        self.assertEqual(lead.checklist_required_count, 3)
        self.item_team_2.team_ids = [(5,)]
        self.item_team_2.condition_domain = "[('priority', '=', '3')]"
        self.assertNotIn(self.item_team_2, self._current_items(lead))
        self.assertEqual(lead.checklist_required_count, 2)

    def test_bad_condition_refused_with_the_item_name(self):
        Item = self.env["crm.stage.checklist.item"]
        for condition in (
            "[('no_such_field', '=', 1)]",
            "not a domain",
            "[('name', 'likes', 'x')]",
        ):
            with self.assertRaises(ValidationError) as err:
                Item.create(
                    {
                        "name": "Broken condition",
                        "stage_id": self.stage_acquisition.id,
                        "condition_domain": condition,
                    }
                )
            self.assertTrue(
                str(err.exception).startswith(
                    "The condition of the checklist item “Broken condition” is not a valid "
                    "condition on leads: "
                ),
                str(err.exception),
            )
        self.assertFalse(Item.search([("name", "=", "Broken condition")]))
        with self.assertRaises(ValidationError):
            self.item_big_deal.condition_domain = "[('nope', '=', 1)]"
        self.env.invalidate_all()
        self.assertEqual(self.item_big_deal.condition_domain, BIG_DEAL)

    @users("sf_salesman_1")
    def test_salesman_cannot_change_the_scope(self):
        item = self.item_big_deal.with_env(self.env)
        with self.assertRaises(AccessError):
            item.write({"condition_domain": "[]"})

    def test_conditional_items_keep_the_batch_move_budget(self):
        """A conditional item in the stage left (gate) and in the stage entered (lines)
        costs one search each, whatever the number of leads."""
        self.env["crm.stage.checklist.item"].create(
            {
                "name": "Qualification big deal",
                "stage_id": self.stage_qualification.id,
                "condition_domain": BIG_DEAL,
            }
        )
        counts = []
        for size in (2, 20, 200):  # the first one warms the caches
            leads = self.env["crm.lead"].create(
                [
                    {
                        "name": f"Perf {i}",
                        "type": "opportunity",
                        "user_id": self.user_salesman_1.id,
                        "team_id": self.team_1.id,
                        "stage_id": self.stage_acquisition.id,
                    }
                    for i in range(size)
                ]
            )
            self._complete_checklists(leads, self.stage_acquisition)
            self.env.flush_all()
            self.env.invalidate_all()
            leads = leads.with_user(self.user_salesman_1).with_context(tracking_disable=True)
            before = self.env.cr.sql_log_count
            leads.write({"stage_id": self.stage_qualification.id})
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(set(leads.mapped("stage_id")), {self.stage_qualification})
        # Odoo's own UPDATE of crm_lead is flushed in chunks of 100 rows (+1 for 200)
        self.assertEqual(counts[2] - counts[1], 1, counts)
