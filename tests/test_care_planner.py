"""The care planner (models/care_planner.py): plain unit tests, no database."""

import unittest
from datetime import date

from odoo.addons.sales_funnel_std.models.cadence_planner import Activity
from odoo.addons.sales_funnel_std.models.care_planner import (
    FIRST_REVISIT,
    QUARTERLY,
    REVIEW,
    CareRule,
    CareState,
    next_care,
    plan_care,
)

RULE = CareRule(
    quarterly_months=3, review_months=6, type_ids={FIRST_REVISIT: 1, QUARTERLY: 2, REVIEW: 3}
)
WON = date(2026, 3, 2)
TODAY = date(2026, 3, 4)


def state(**values):
    base = {
        "lead_id": 7,
        "user_id": 5,
        "eligible": True,
        "start": WON,
        "revisit_deadline": date(2026, 3, 9),
    }
    base.update(values)
    return CareState(**base)


class TestCarePlanner(unittest.TestCase):
    def test_first_revisit_until_a_visit_is_logged(self):
        self.assertEqual(next_care(state(), RULE, TODAY), (FIRST_REVISIT, date(2026, 3, 9)))
        plan = plan_care(state(), RULE, TODAY)
        self.assertEqual(plan.create_activity, Activity(5, FIRST_REVISIT, 1, date(2026, 3, 9)))

    def test_quarterly_then_half_year_review(self):
        # first revisit on day 5: quarterly care 3 months later (before the review)
        self.assertEqual(
            next_care(state(last_care=date(2026, 3, 7)), RULE, TODAY), (QUARTERLY, date(2026, 6, 7))
        )
        # after the quarterly care, the half-year review (6 months after won) comes first
        self.assertEqual(
            next_care(state(last_care=date(2026, 6, 7)), RULE, TODAY), (REVIEW, date(2026, 9, 2))
        )
        # after the review: quarterly care, the next review a half year later
        after_review = state(last_care=date(2026, 9, 2), last_review=date(2026, 9, 2))
        self.assertEqual(next_care(after_review, RULE, TODAY), (QUARTERLY, date(2026, 12, 2)))
        # a review due the same day as the quarterly care wins (one visit, not two)
        same_day = state(last_care=date(2026, 12, 2), last_review=date(2026, 9, 2))
        self.assertEqual(next_care(same_day, RULE, TODAY), (REVIEW, date(2027, 3, 2)))

    def test_one_activity_moved_not_doubled(self):
        open_first = {"activity_id": 11, "activity_kind": FIRST_REVISIT, "activity_user_id": 5}
        unchanged = state(activity_due=date(2026, 3, 9), **open_first)
        self.assertEqual(plan_care(unchanged, RULE, TODAY).move_activity, None)
        self.assertEqual(plan_care(unchanged, RULE, TODAY).create_activity, None)
        reassigned = state(user_id=6, activity_due=date(2026, 3, 9), **open_first)
        self.assertEqual(
            plan_care(reassigned, RULE, TODAY).move_activity,
            (11, Activity(6, FIRST_REVISIT, 1, date(2026, 3, 9))),
        )
        # the first revisit's deadline is its activity's: once visited, no longer needed
        visited = state(
            last_care=date(2026, 3, 7),
            revisit_deadline=None,
            activity_due=date(2026, 3, 9),
            **open_first,
        )
        self.assertEqual(
            plan_care(visited, RULE, TODAY).move_activity,
            (11, Activity(5, QUARTERLY, 2, date(2026, 6, 7))),
        )

    def test_not_eligible_removes_the_activity(self):
        lost = state(eligible=False, activity_id=11, activity_kind=QUARTERLY, activity_user_id=5)
        self.assertEqual(plan_care(lost, RULE, TODAY).unlink_activity_id, 11)
        self.assertEqual(plan_care(state(eligible=False), RULE, TODAY).create_activity, None)
        self.assertEqual(plan_care(state(), None, TODAY).create_activity, None)

    def test_deal_won_long_before_care_joins_the_quarterly_rhythm(self):
        # installed on an existing database: won in 2024, never visited
        old = state(start=date(2024, 1, 15), revisit_deadline=date(2024, 1, 22))
        self.assertEqual(next_care(old, RULE, date(2026, 3, 4)), (QUARTERLY, date(2026, 4, 15)))
        self.assertEqual(next_care(old, RULE, date(2026, 4, 15)), (QUARTERLY, date(2026, 4, 15)))
        # a first revisit a little overdue stays the first revisit (compliance counts it)
        late = state(revisit_deadline=date(2026, 3, 9))
        self.assertEqual(next_care(late, RULE, date(2026, 5, 1)), (FIRST_REVISIT, date(2026, 3, 9)))
