"""The order of crm.lead's create/write pipeline where it matters (models/crm_lead.py)."""

from odoo.exceptions import UserError

from .common_cadence import GRADE_A, GRADE_C
from .common_gates import GatesCase


class TestWritePipeline(GatesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_1.funnel_adopted = True

    def _cadence_activities(self, lead):
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "=", lead.id),
                    ("funnel_cadence", "!=", False),
                ]
            )
        )

    def test_a_refused_move_writes_nothing(self):
        """Step 2 before step 4: the gate refuses before the scores of the same write are
        saved, before any cadence activity or history row exists."""
        lead = self._acq_lead().with_user(self.user_salesman_1)
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stage_qualification.id, **GRADE_A})
        self.assertEqual(lead.bndu_grade, "none")
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        self.assertFalse(self._cadence_activities(lead))
        self.assertEqual(len(lead.stage_history_ids), 1)

    def test_a_refused_handover_writes_nothing(self):
        self.company.handover_required_for_won = True
        lead = self._acq_lead()
        lead.write({"expected_revenue": 5000, **GRADE_A})
        self._complete_checklists(lead)
        before = lead.stage_history_ids
        with self.assertRaisesRegex(UserError, "Hand the opportunity over"):
            lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_won.id, **GRADE_C})
        self.assertEqual(lead.bndu_grade, "a", "the scores of the refused write are not saved")
        self.assertEqual(lead.stage_history_ids, before)

    def test_scores_written_with_the_move_count_for_the_gate_and_the_lines(self):
        """Step 1/2 see the written values; step 7 evaluates the new stage's field lines
        after the write (step 4)."""
        lead = self._acq_lead()
        self._tick_acquisition(lead)
        lead = lead.with_user(self.user_salesman_1)
        lead.write({"stage_id": self.stage_qualification.id, **GRADE_A})
        self.assertEqual(lead.stage_id, self.stage_qualification)
        self.assertEqual(lead.bndu_grade, "a")
        self.assertFalse(lead.checklist_blocked, "the four score lines are done")
        self.assertEqual(len(self._cadence_activities(lead)), 1, "graded: first contact due")

    def test_graded_and_won_in_one_write_leaves_no_cadence(self):
        """Step 5 (grade -> cadence) runs before step 6 sees the won deal: no activity is
        left on a won deal."""
        lead = self._acq_lead()
        lead.write({"expected_revenue": 5000, "partner_id": self.partner.id})
        self._complete_checklists(lead)
        lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_won.id, **GRADE_A})
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(lead.bndu_grade, "a")
        self.assertFalse(self._cadence_activities(lead))

    def test_created_graded_in_a_later_stage_is_refused_whole(self):
        """Create: step 2 runs on the new record and rolls it back with its cadence."""
        Lead = self.env["crm.lead"].with_user(self.user_salesman_1)
        count = Lead.search_count([])
        with self.assertRaises(UserError):
            Lead.create(
                {
                    "name": "Created too far",
                    "type": "opportunity",
                    "team_id": self.team_1.id,
                    "stage_id": self.stage_discovery.id,
                    **GRADE_A,
                }
            )
        self.assertEqual(Lead.search_count([]), count)
