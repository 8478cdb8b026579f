from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, users

from .common_gates import GatesCase


class TestChecklistNotApplicable(GatesCase):
    """A sales manager marks a checklist line not applicable, with a reason."""

    def _acq_lead_one_open(self):
        """A lead in Lead acquisition whose only open required item is the first visit."""
        lead = self._acq_lead(name="NA lead")
        self._line(lead, self.item_contact).with_user(self.user_salesman_1).write({"is_done": True})
        return lead

    @users("sf_manager")
    def test_manager_marks_not_applicable_and_the_gate_lets_the_lead_through(self):
        lead = self._acq_lead_one_open().with_env(self.env)
        line = self._line(lead, self.item_first_visit)
        self.assertEqual((lead.checklist_done_count, lead.checklist_blocked), (1, True))
        action = line.action_open_not_applicable()
        wizard = Form(self.env[action["res_model"]].with_context(action["context"]))
        wizard.reason = "Customer met at the trade fair, no visit needed"
        wizard.save().action_confirm()
        self.assertTrue(line.not_applicable)
        self.assertFalse(line.is_done, "not applicable is not done")
        self.assertEqual(line.na_user_id, self.user_manager)
        self.assertEqual((lead.checklist_done_count, lead.checklist_blocked), (2, False))
        # logged in the current stay's history and in the chatter
        stay = lead.stage_history_ids.filtered(lambda h: not h.date_out)
        self.assertEqual(
            stay.not_applicable_log,
            "First visit record: not applicable (Funnel Manager): Customer met at the trade "
            "fair, no visit needed",
        )
        log = lead.message_ids.filtered(lambda m: "trade fair" in (m.body or ""))
        self.assertEqual(len(log), 1)
        self.assertIn("marked not applicable by Funnel Manager", log.body)
        # the salesman moves the lead forward: N/A counts as done for the gate
        lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    @users("sf_manager")
    def test_undo_not_applicable(self):
        lead = self._acq_lead_one_open().with_env(self.env)
        line = self._line(lead, self.item_first_visit)
        line.action_set_not_applicable("Not needed")
        self.assertFalse(lead.checklist_blocked)
        line.action_set_applicable()
        self.assertFalse(line.not_applicable)
        self.assertFalse(line.na_reason)
        self.assertTrue(lead.checklist_blocked)
        stay = lead.stage_history_ids.filtered(lambda h: not h.date_out)
        self.assertEqual(
            stay.not_applicable_log.split("\n")[-1],
            "First visit record: applicable again (Funnel Manager)",
        )
        with self.assertRaises(UserError):
            lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_qualification.id})

    @users("sf_manager")
    def test_reason_required_writes_nothing(self):
        lead = self._acq_lead_one_open().with_env(self.env)
        line = self._line(lead, self.item_first_visit)
        messages = len(lead.message_ids)
        for reason in ("", "   "):
            with self.assertRaises(ValidationError) as err:
                line.action_set_not_applicable(reason)
            self.assertEqual(
                str(err.exception),
                "Give the reason why the checklist item “First visit record” does not apply "
                "to NA lead.",
            )
        with self.assertRaises(ValidationError):
            line.write({"not_applicable": True})
        self.env.invalidate_all()
        self.assertFalse(line.not_applicable)
        self.assertEqual(len(lead.message_ids), messages)
        self.assertFalse(lead.stage_history_ids.not_applicable_log)

    @users("sf_salesman_1")
    def test_salesman_cannot_set_not_applicable_by_any_channel(self):
        lead = self._acq_lead_one_open()
        line = self._line(lead, self.item_first_visit)
        attempts = [
            lambda: line.action_set_not_applicable("I skip it"),
            lambda: line.write({"not_applicable": True, "na_reason": "RPC"}),
            lambda: line.with_context(funnel_gate_force_reason="x").write(
                {"not_applicable": True, "na_reason": "context"}
            ),
            lambda: line.write({"na_reason": "only the reason"}),
            lambda: line.web_save({"not_applicable": True, "na_reason": "web"}, {}),
            lambda: self.env["crm.lead.checklist.line.na"].create(
                {"line_ids": line.ids, "reason": "wizard"}
            ),
        ]
        for attempt in attempts:
            with self.assertRaises(AccessError):
                attempt()
        self.env.invalidate_all()
        self.assertFalse(line.not_applicable)
        self.assertTrue(lead.checklist_blocked)
        # nor undo a manager's decision
        line.sudo().action_set_not_applicable("Manager said so")
        with self.assertRaises(AccessError):
            line.action_set_applicable()
        self.assertTrue(line.not_applicable)

    def test_field_item_not_applicable_counts_for_the_gate(self):
        lead = self._acq_lead()
        self._complete_checklists(lead, self.stage_acquisition)
        scores = {**self.scores(3, 3, 3, 3), "bndu_urgency": False}
        lead.write({"stage_id": self.stage_qualification.id, **scores})
        urgency = lead.checklist_line_ids.filtered(
            lambda line: line.is_current_stage and not line.is_done
        )
        self.assertEqual(len(urgency), 1)
        with self.assertRaises(UserError):
            lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_discovery.id})
        urgency.with_user(self.user_manager).action_set_not_applicable("Framework contract")
        self.assertFalse(lead.checklist_blocked)
        lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_discovery.id})
        self.assertEqual(lead.stage_id, self.stage_discovery)

    def test_not_applicable_counts_when_the_stage_is_reentered(self):
        lead = self._acq_lead()
        line = self._line(lead, self.item_first_visit)
        self._line(lead, self.item_contact).write({"is_done": True})
        line.with_user(self.user_manager).action_set_not_applicable("Remote deal")
        lead.write({"stage_id": self.stage_qualification.id})
        lead.write({"stage_id": self.stage_acquisition.id})
        self.assertEqual((lead.checklist_required_count, lead.checklist_done_count), (2, 2))
