import base64

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, users

from .common_owners import OwnersCase

APPROVAL_TYPE = "sales_funnel_std.mail_activity_type_checklist_approval"
REJECTED_TYPE = "sales_funnel_std.mail_activity_type_checklist_rejected"


class TestChecklistApproval(OwnersCase):
    """The salesperson requests an approval; the team leader approves or rejects."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.item_discount = cls.Item.create(
            {
                "name": "Special discount approved",
                "stage_id": cls.stage_acquisition.id,
                "kind": "approval",
                "approver_role": "team_leader",
            }
        )

    def _request(self, lead, note="Customer asks 15% off", attachment=None):
        """Request the discount approval through the dialog, as the current user."""
        line = self._line(lead, self.item_discount)
        action = line.action_request_approval()
        wizard = Form(lead.env[action["res_model"]].with_context(action["context"]))
        wizard.note = note
        record = wizard.save()
        if attachment:
            record.attachment_ids = attachment
        record.action_confirm()
        return line

    @users("sf_salesman_1")
    def test_request_then_leader_approves(self):
        lead = self._acq_lead(name="Discount lead")
        attachment = self.env["ir.attachment"].create(
            {"name": "quote.pdf", "datas": base64.b64encode(b"%PDF quote")}
        )
        line = self._request(lead, attachment=attachment)
        self.assertEqual(line.approval_state, "requested")
        self.assertEqual(line.approval_requested_by_id, self.user_salesman_1)
        self.assertEqual(line.approval_note, "Customer asks 15% off")
        self.assertIn(attachment, line.attachment_ids)
        self.assertFalse(line.is_done)
        activity = self._activities(lead, APPROVAL_TYPE)
        self.assertEqual(activity.user_id, self.user_leader)
        self.assertEqual(activity.summary, "Approve: Special discount approved")
        # the leader sees it in "My Checklist Items", awaiting their approval
        leader_line = line.with_user(self.user_leader)
        Line = self.env["crm.lead.checklist.line"].with_user(self.user_leader)
        self.assertEqual(Line.search([("awaiting_my_approval", "=", True)]), line)
        self.assertEqual(Line.search([("is_mine", "=", True), ("lead_id", "=", lead.id)]), line)
        self.assertTrue(leader_line.can_approve)
        self.assertFalse(line.can_approve, "not on one's own request")
        leader_line.action_approve()
        self.assertEqual(
            (line.approval_state, line.is_done, line.done_user_id, line.approval_decided_by_id),
            ("approved", True, self.user_leader, self.user_leader),
        )
        self.assertFalse(self._activities(lead, APPROVAL_TYPE), "the request is closed")
        bodies = lead.message_ids.mapped("body")
        self.assertTrue(any("requested by Funnel Salesman 1" in body for body in bodies))
        self.assertTrue(any("approved by Funnel Leader" in body for body in bodies))
        # the approval counts for the gate
        self._tick_acquisition(lead)
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    @users("sf_salesman_1")
    def test_rejection_needs_a_comment_and_reopens(self):
        lead = self._acq_lead(name="Discount lead")
        line = self._request(lead)
        leader_line = line.with_user(self.user_leader)
        action = leader_line.action_reject()
        self.assertEqual(action["context"]["default_mode"], "reject")
        for comment in ("", "  "):
            with self.assertRaises(ValidationError) as err:
                leader_line._funnel_decide(approve=False, comment=comment)
            self.assertEqual(
                str(err.exception),
                "Say why the approval is rejected: the comment is required.",
            )
        self.assertEqual(line.approval_state, "requested", "nothing written")
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_leader)
            .with_context(action["context"])
        )
        wizard.note = "Margin too low, offer 10%"
        wizard.save().action_confirm()
        self.assertEqual(
            (line.approval_state, line.is_done, line.approval_comment),
            ("rejected", False, "Margin too low, offer 10%"),
        )
        rejected = self._activities(lead, REJECTED_TYPE)
        self.assertEqual(rejected.user_id, self.user_salesman_1, "the requester is notified")
        self.assertEqual(rejected.summary, "Approval rejected: Special discount approved")
        self.assertTrue(
            any(
                "rejected by Funnel Leader: Margin too low" in b
                for b in lead.message_ids.mapped("body")
            )
        )
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stage_qualification.id})
        # asking again closes the rejection to-do
        self._request(lead, note="10% then")
        self.assertFalse(self._activities(lead, REJECTED_TYPE))
        self.assertEqual(line.approval_state, "requested")

    @users("sf_salesman_1")
    def test_salesman_cannot_approve_on_any_channel(self):
        lead = self._acq_lead(name="Discount lead")
        line = self._line(lead, self.item_discount)
        for context in ({}, {"funnel_gate_force_reason": "x"}, {"tracking_disable": True}):
            with self.assertRaises(AccessError):
                line.with_context(**context).write({"is_done": True})
            with self.assertRaises(AccessError):
                line.with_context(**context).write({"approval_state": "approved"})
            with self.assertRaises(AccessError):
                line.with_context(**context).action_approve()
        self._request(lead)
        with self.assertRaises(AccessError) as err:
            line.action_approve()
        self.assertEqual(
            str(err.exception),
            "You cannot approve your own request for “Special discount approved”.",
        )
        with self.assertRaises(AccessError):
            line.action_reject()
        with self.assertRaises(AccessError):
            line.write({"approval_decided_by_id": self.user_salesman_1.id})
        self.env.invalidate_all()
        self.assertEqual((line.approval_state, line.is_done), ("requested", False))

    def test_not_an_approver_is_refused(self):
        lead = self._acq_lead(name="Discount lead")
        line = self._request(lead.with_env(self.env(user=self.user_salesman_1)))
        with self.assertRaises(AccessError) as err:
            line.with_user(self.user_legal).action_approve()
        self.assertEqual(
            str(err.exception),
            "You are not an approver of “Special discount approved” on Discount lead.",
        )
        with self.assertRaises(AccessError):
            line.with_user(self.user_salesman_2).action_approve()
        self.assertEqual(line.approval_state, "requested")

    @users("sf_manager")
    def test_manager_approves_directly(self):
        lead = self._acq_lead(name="Discount lead").with_env(self.env)
        line = self._line(lead, self.item_discount)
        line.write({"is_done": True})
        self.assertEqual(
            (line.approval_state, line.approval_decided_by_id), ("approved", self.user_manager)
        )
        line.write({"is_done": False})
        self.assertEqual(line.approval_state, "none")
        # but not their own request
        self._request(lead)
        with self.assertRaises(AccessError):
            line.write({"is_done": True})
        with self.assertRaises(AccessError):
            line.action_approve()

    @users("sf_salesman_2")
    def test_no_approver_is_a_clear_error(self):
        self.team_2.sudo().user_id = False
        lead = self._acq_lead(name="Leaderless", user=self.user_salesman_2)
        line = self._line(lead, self.item_discount)
        with self.assertRaises(UserError) as err:
            line.action_request_approval()
        self.assertEqual(
            str(err.exception),
            "Nobody can approve “Special discount approved” on Leaderless: the sales team has "
            "no leader (or the approver group no user). Ask a sales manager.",
        )
        self.assertEqual(line.approval_state, "none")

    @users("sf_manager")
    def test_approver_group_configuration(self):
        item = self.item_discount.with_env(self.env)
        empty = self.env["res.groups"].sudo().create({"name": "Empty approvers"})
        with self.assertRaises(ValidationError) as err:
            item.write({"approver_role": "group", "approver_group_id": empty.id})
        self.assertEqual(
            str(err.exception),
            "The group “Empty approvers” that approves the checklist item “Special discount "
            "approved” has no users.",
        )
        blind = (
            self.env["res.groups"]
            .sudo()
            .create({"name": "Blind approvers", "user_ids": [(6, 0, self.user_salesman_2.ids)]})
        )
        with self.assertRaises(ValidationError) as err:
            item.write({"approver_role": "group", "approver_group_id": blind.id})
        self.assertIn("Funnel Salesman 2 cannot approve", str(err.exception))
        self.env.invalidate_all()
        self.assertEqual(item.approver_role, "team_leader")

    def test_group_approver(self):
        group = self.env["res.groups"].create(
            {"name": "Finance", "user_ids": [(6, 0, self.user_legal.ids)]}
        )
        self.item_discount.write({"approver_role": "group", "approver_group_id": group.id})
        salesman_env = self.env(user=self.user_salesman_1)
        lead = self._acq_lead(name="Finance lead").with_env(salesman_env)
        line = self._request(lead.with_env(salesman_env))
        self.assertEqual(self._activities(lead, APPROVAL_TYPE).user_id, self.user_legal)
        with self.assertRaises(AccessError):
            line.with_user(self.user_leader).action_approve()
        line.with_user(self.user_legal).action_approve()
        self.assertEqual(line.approval_state, "approved")
