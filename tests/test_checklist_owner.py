from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import users

from .common_owners import OwnersCase

OWNER_TYPE = "sales_funnel_std.mail_activity_type_checklist_item"
THURSDAY = "2026-12-03 09:00:00"


class TestChecklistOwner(OwnersCase):
    """Items owned by a person or the team leader, with a deadline in working days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no calendar: working days are Monday to Friday
        cls.company.resource_calendar_id = False
        cls.item_legal = cls.Item.create(
            {
                "name": "Contract terms reviewed",
                "stage_id": cls.stage_acquisition.id,
                "owner_role": "user",
                "owner_user_id": cls.user_legal.id,
                "deadline_days": 2,
            }
        )
        cls.item_leader = cls.Item.create(
            {
                "name": "Leader call",
                "stage_id": cls.stage_acquisition.id,
                "owner_role": "team_leader",
                "required": False,
            }
        )

    @users("sf_salesman_1")
    @freeze_time(THURSDAY)
    def test_owner_deadline_and_activity_at_stage_entry(self):
        lead = self._acq_lead(name="Owned lead")
        legal = self._line(lead, self.item_legal)
        self.assertEqual(legal.owner_id, self.user_legal)
        # Thursday + 2 working days, over the weekend: Monday
        self.assertEqual(legal.deadline, date(2026, 12, 7))
        self.assertEqual(self._line(lead, self.item_leader).owner_id, self.user_leader)
        self.assertEqual(self._line(lead, self.item_contact).owner_id, self.user_salesman_1)
        self.assertFalse(self._line(lead, self.item_contact).deadline)
        activities = self._activities(lead, OWNER_TYPE)
        self.assertEqual(
            sorted((a.user_id.login, a.summary, a.date_deadline) for a in activities),
            [
                ("sf_leader", "Leader call", date(2026, 12, 3)),
                ("sf_legal", "Contract terms reviewed", date(2026, 12, 7)),
            ],
            "only owners other than the salesperson get an activity",
        )

    @freeze_time(THURSDAY)
    def test_owner_sees_and_completes_their_line(self):
        lead = self._acq_lead(name="Owned lead")
        Line = self.env["crm.lead.checklist.line"].with_user(self.user_legal)
        mine = [("is_mine", "=", True), ("is_current_stage", "=", True), ("is_done", "=", False)]
        line = Line.search(mine)
        self.assertEqual(line.item_id, self.item_legal)
        self.assertEqual(line.lead_id, lead)
        with freeze_time("2026-12-08"):
            self.assertEqual(Line.search([*mine, ("is_overdue", "=", True)]), line)
            self.assertTrue(line.is_overdue)
            line.write({"is_done": True})
        self.assertEqual(line.done_user_id, self.user_legal)
        self.assertFalse(Line.search(mine))
        self.assertFalse(
            self._activities(lead, OWNER_TYPE).filtered(lambda a: a.user_id == self.user_legal)
        )
        self.assertEqual(
            len(self._activities(lead, OWNER_TYPE, active=False)), 1, "marked done, kept"
        )
        # not overdue any more, and the salesman's overdue list does not show it
        self.assertFalse(line.is_overdue)

    @freeze_time(THURSDAY)
    def test_owners_follow_the_salesperson_and_the_team(self):
        lead = self._acq_lead(name="Moving owners")
        lead.write({"user_id": self.user_salesman_2.id, "team_id": self.team_2.id})
        self.assertEqual(self._line(lead, self.item_contact).owner_id, self.user_salesman_2)
        leader_line = self._line(lead, self.item_leader)
        self.assertEqual(leader_line.owner_id, self.user_manager, "team 2's leader")
        self.assertEqual(self._line(lead, self.item_legal).owner_id, self.user_legal)
        activity = self._activities(lead, OWNER_TYPE).filtered(
            lambda a: a.funnel_checklist_line_id == leader_line
        )
        self.assertEqual(activity.user_id, self.user_manager, "the activity follows the owner")

    @users("sf_manager")
    @freeze_time(THURSDAY)
    def test_not_applicable_or_leaving_the_stage_removes_the_activity(self):
        lead = self._acq_lead(name="Owned lead").with_env(self.env)
        self._line(lead, self.item_legal).action_set_not_applicable("Standard contract")
        self.assertEqual(self._activities(lead, OWNER_TYPE).user_id, self.user_leader)
        self._tick_acquisition(lead)
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertFalse(self._activities(lead, OWNER_TYPE), "no to-do on a stage left")

    @users("sf_salesman_1")
    def test_salesman_cannot_set_owner_or_deadline(self):
        lead = self._acq_lead(name="Owned lead")
        line = self._line(lead, self.item_contact)
        for vals in (
            {"owner_id": self.user_salesman_1.id},
            {"deadline": "2030-01-01"},
        ):
            for context in ({}, {"funnel_gate_force_reason": "x"}, {"install_mode": True}):
                with self.assertRaises(AccessError):
                    line.with_context(**context).write(vals)
        self.env.invalidate_all()
        self.assertFalse(line.deadline)

    @users("sf_manager")
    def test_owner_without_lead_access_is_refused(self):
        items = self.env["crm.stage.checklist.item"]
        count = items.search_count([])
        with self.assertRaises(ValidationError) as err:
            items.create(
                {
                    "name": "Blind owner",
                    "stage_id": self.stage_acquisition.id,
                    "owner_role": "user",
                    "owner_user_id": self.user_salesman_2.id,
                }
            )
        self.assertEqual(
            str(err.exception),
            "Funnel Salesman 2 cannot own the checklist item “Blind owner”: they do not see "
            "all leads. Give them the sales access “All Documents” or choose someone else.",
        )
        self.assertEqual(items.search_count([]), count)
        item = self.item_legal.with_env(self.env)
        with self.assertRaises(ValidationError):
            item.write({"owner_user_id": self.user_salesman_2.id})
        with self.assertRaises(ValidationError):
            item.write({"owner_role": "user", "owner_user_id": False})
        self.team_2.sudo().user_id = self.user_salesman_2
        with self.assertRaises(ValidationError) as err:
            item.write({"owner_role": "team_leader"})
        self.assertIn("Funnel Salesman 2 cannot own", str(err.exception))
        self.env.invalidate_all()
        self.assertEqual((item.owner_role, item.owner_user_id), ("user", self.user_legal))

    @users("sf_manager")
    def test_empty_owner_group_is_refused(self):
        group = self.env["res.groups"].sudo().create({"name": "Empty legal"})
        with self.assertRaises(ValidationError) as err:
            self.item_legal.with_env(self.env).write(
                {"owner_role": "group", "owner_group_id": group.id}
            )
        self.assertEqual(
            str(err.exception),
            "The group “Empty legal” that owns the checklist item “Contract terms reviewed” "
            "has no users.",
        )

    @freeze_time(THURSDAY)
    def test_group_items_show_to_every_member(self):
        group = self.env["res.groups"].create(
            {"name": "Pre-sales", "user_ids": [(6, 0, (self.user_legal | self.user_leader).ids)]}
        )
        item = self.Item.create(
            {
                "name": "Demo prepared",
                "stage_id": self.stage_acquisition.id,
                "owner_role": "group",
                "owner_group_id": group.id,
            }
        )
        lead = self._acq_lead(name="Group lead")
        line = self._line(lead, item)
        self.assertFalse(line.owner_id)
        for user in (self.user_legal, self.user_leader):
            mine = (
                self.env["crm.lead.checklist.line"]
                .with_user(user)
                .search([("is_mine", "=", True), ("item_id", "=", item.id)])
            )
            self.assertEqual(mine, line)
        self.assertFalse(
            self.env["crm.lead.checklist.line"]
            .with_user(self.user_salesman_1)
            .search([("is_mine", "=", True), ("item_id", "=", item.id)])
        )

    @users("sf_salesman_2")
    def test_other_team_lines_invisible(self):
        lead = self._acq_lead(name="Owned lead", user=self.user_salesman_1)
        with self.assertRaises(AccessError):
            self._line(lead, self.item_legal).with_env(self.env).read(["owner_id"])

    @freeze_time(THURSDAY)
    def test_changing_the_owner_moves_the_open_lines_and_activities(self):
        lead = self._acq_lead(name="Re-owned lead")
        line = self._line(lead, self.item_legal)
        self.item_legal.write({"owner_user_id": self.user_leader.id})
        self.assertEqual(line.owner_id, self.user_leader)
        self.assertEqual(line.deadline, date(2026, 12, 7), "the deadline is kept")
        activity = self._activities(lead, OWNER_TYPE).filtered(
            lambda a: a.funnel_checklist_line_id == line
        )
        self.assertEqual(activity.user_id, self.user_leader)
        self.item_legal.write({"owner_role": "salesperson"})
        self.assertEqual(line.owner_id, self.user_salesman_1)
        self.assertFalse(
            self._activities(lead, OWNER_TYPE).filtered(
                lambda a: a.funnel_checklist_line_id == line
            ),
            "the salesperson has the lead's checklist, no activity",
        )
