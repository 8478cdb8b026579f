from odoo.exceptions import UserError, ValidationError
from odoo.tests import users

from .common_gates import GatesCase


class TestChecklistEntryItems(GatesCase):
    """Items checked when entering a stage (lead fields) vs when leaving it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.item_revenue = cls.env["crm.stage.checklist.item"].create(
            {
                "name": "Expected revenue estimated",
                "stage_id": cls.stage_qualification.id,
                "kind": "field",
                "field_id": cls.env.ref("crm.field_crm_lead__expected_revenue").id,
                "check_on": "entry",
            }
        )

    @users("sf_salesman_1")
    def test_entry_item_checked_when_entering(self):
        lead = self._acq_lead(name="Entry lead")
        self._tick_acquisition(lead)
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(
            str(err.exception),
            "The stage cannot change until the required checklist items are done:\n"
            "• Entry lead — Qualification (to enter): Expected revenue estimated",
        )
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        # set with the move: counts
        lead.write({"stage_id": self.stage_qualification.id, "expected_revenue": 90000})
        self.assertEqual(lead.stage_id, self.stage_qualification)
        # no line: the item was checked at the move; the stage's progress is its exit items
        self.assertNotIn(self.item_revenue, lead.checklist_line_ids.item_id)
        self.assertEqual(lead.checklist_required_count, 4)
        # leaving the stage does not check it again, and moving back into it is free
        lead.write({"expected_revenue": 0, **self.scores(3, 3, 3, 3)})
        lead.write({"stage_id": self.stage_discovery.id})
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    @users("sf_salesman_1")
    def test_skipped_stage_entry_items_checked_and_named(self):
        lead = self._acq_lead(name="Skipper")
        self._tick_acquisition(lead)
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_discovery.id})
        message = str(err.exception)
        self.assertIn("• Skipper — Qualification (to enter): Expected revenue estimated", message)
        self.assertIn("• Skipper — Qualification: Budget (B) scored", message)

    def test_entry_item_must_check_a_field(self):
        with self.assertRaises(ValidationError) as err:
            self.env["crm.stage.checklist.item"].create(
                {
                    "name": "Call before entering",
                    "stage_id": self.stage_qualification.id,
                    "kind": "confirm",
                    "check_on": "entry",
                }
            )
        self.assertEqual(
            str(err.exception),
            "The checklist item “Call before entering” is checked when entering the stage: "
            "it must check a lead field (a lead has no checklist line of a stage before "
            "entering it).",
        )
        self.assertFalse(
            self.env["crm.stage.checklist.item"].search([("name", "=", "Call before entering")])
        )

    def test_switching_an_item_to_entry_removes_its_lines(self):
        lead = self._acq_lead()
        self._tick_acquisition(lead)
        lead.write({"stage_id": self.stage_qualification.id, "expected_revenue": 1})
        self.item_revenue.check_on = "exit"
        self.assertIn(self.item_revenue, lead.checklist_line_ids.item_id)
        self.assertEqual(lead.checklist_required_count, 5)
        self.item_revenue.check_on = "entry"
        self.assertNotIn(self.item_revenue, lead.checklist_line_ids.item_id)
        self.assertEqual(lead.checklist_required_count, 4)
