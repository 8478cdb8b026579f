"""Cadence activities are named like Odoo's own scheduled activities (type's default summary)."""

from freezegun import freeze_time

from odoo.tests import users

from .common_cadence import GRADE_A, GRADE_C, CadenceCase


class TestCadenceActivitySummary(CadenceCase):
    @users("sf_salesman_1")
    def test_first_contact_and_regrade_carry_the_type_summary(self):
        with freeze_time("2026-11-20 10:00:00"):
            lead = self._lead(**GRADE_A).with_env(self.env)
            activity = self._open_activity(lead)
        # what the chatter and the kanban activity popover show as the activity's name
        self.assertEqual(activity.summary, self.type_first.summary)
        self.assertEqual(activity.summary, "First contact (SLA)")
        with freeze_time("2026-11-21 10:00:00"):
            lead.write(GRADE_C)
        self.assertEqual(self._open_activity(lead), activity)
        self.assertEqual(activity.summary, "Nurture re-evaluation", "renamed with its new type")

    def test_summary_in_the_assignee_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.type_first.with_context(lang="zh_CN").summary = "首次联系（时限）"
        self.user_salesman_1.lang = "zh_CN"
        lead = self._lead(**GRADE_A)
        self.assertEqual(self._open_activity(lead).summary, "首次联系（时限）")
