"""Fixtures of the follow-up cadence tests (grade-driven first contact, follow-ups)."""

from .common import FunnelCase

GRADE_A = {"bndu_budget": "5", "bndu_need": "5", "bndu_decision": "5", "bndu_urgency": "5"}
GRADE_B = {"bndu_budget": "3", "bndu_need": "3", "bndu_decision": "3", "bndu_urgency": "3"}
GRADE_C = {"bndu_budget": "1", "bndu_need": "1", "bndu_decision": "1", "bndu_urgency": "1"}


class CadenceCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a UTC Monday-Friday 08:00-12:00 / 13:00-17:00 calendar: deterministic deadlines
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Funnel Office Hours", "tz": "UTC", "company_id": cls.company.id}
        )
        cls.company.resource_calendar_id = cls.calendar
        cls.type_first = cls.env.ref("sales_funnel_std.mail_activity_type_first_contact")
        cls.type_followup = cls.env.ref("sales_funnel_std.mail_activity_type_followup")
        cls.type_nurture = cls.env.ref("sales_funnel_std.mail_activity_type_nurture")

    def _cadence_activities(self, lead, active=True):
        return self._engine_activities(lead, "funnel_cadence", active)

    def _open_activity(self, lead):
        activities = self._cadence_activities(lead)
        self.assertLessEqual(len(activities), 1, "never more than one open cadence activity")
        return activities

    # Won / lost go through these helpers only (stage gates may add requirements).
    def _mark_won(self, lead):
        self._make_won(lead)

    def _mark_lost(self, lead):
        lead.action_set_lost()
