"""Post-sale care (001 §6 客户维护与二次开发, §三 客户反馈): care rules, care cadence on won
deals, care visits, the customer's care state, repurchase / referral opportunities,
access and bad input."""

import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.addons.sales_funnel_std.report.funnel_xlsx import FunnelXlsxExport
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import users

from .common import FunnelCase

WON_AT = "2026-03-02 02:00:00"  # a Monday


class TestCare(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # care is tested on its own: the standard checklists are optional (rules are
        # data), deals reach won through the Won button without gate fixtures
        cls.env["crm.stage.checklist.item"].search([]).required = False
        cls.company.handover_open_on_won = False
        cls.type_first = cls.env.ref("sales_funnel_std.mail_activity_type_care_first_revisit")
        cls.type_quarterly = cls.env.ref("sales_funnel_std.mail_activity_type_care_quarterly")
        cls.type_review = cls.env.ref("sales_funnel_std.mail_activity_type_care_review")
        cls.source_repurchase = cls.env.ref("sales_funnel_std.utm_source_repurchase")
        cls.source_referral = cls.env.ref("sales_funnel_std.utm_source_referral")
        cls.customer = cls.env["res.partner"].create({"name": "Care Customer", "is_company": True})
        cls.prospect = cls.env["res.partner"].create({"name": "Referred Prospect Ltd"})
        with freeze_time(WON_AT):
            cls.deal = cls._lead(
                name="MES rollout", partner_id=cls.customer.id, expected_revenue=80000
            )
            cls.deal.action_set_won_rainbowman()
            cls.other_deal = cls._lead(cls.user_salesman_2, name="Team 2 deal")
            cls.other_deal.action_set_won_rainbowman()

    def setUp(self):
        super().setUp()
        # a few days after the deals were won (a later "today" would be a deal whose
        # care started long after it was won: see test_care_planner.py)
        freezer = freeze_time("2026-03-04 08:00:00")
        freezer.start()
        self.addCleanup(freezer.stop)

    def _open(self, lead):
        activities = self._engine_activities(lead, "funnel_care")
        self.assertLessEqual(len(activities), 1, "never more than one open care activity")
        return activities

    # ------------------------------------------------------------------
    # rules
    # ------------------------------------------------------------------

    def test_playbook_defaults_in_settings(self):
        settings = self.env["res.config.settings"].with_user(self.user_admin).create({})
        self.assertEqual(settings.care_first_revisit_delay, 7)
        self.assertEqual(settings.care_first_revisit_unit, "days")
        self.assertEqual(settings.care_quarterly_months, 3)
        self.assertEqual(settings.care_review_months, 6)
        self.assertEqual(self.source_repurchase.funnel_priority, 1)

    def test_interval_zero_refused_nothing_written(self):
        company = self.company.with_user(self.user_admin)
        for fname, value in (
            ("care_first_revisit_delay", 0),
            ("care_quarterly_months", 0),
            ("care_review_months", -6),
        ):
            with self.assertRaises(ValidationError) as error:
                company.write({fname: value, "care_review_months": value})
            self.assertIn("must be a whole number greater than 0", str(error.exception))
            company.invalidate_recordset()
            self.assertEqual(company.care_review_months, 6)
            self.assertEqual(company.care_first_revisit_delay, 7)
            self.assertEqual(company.care_quarterly_months, 3)

    # ------------------------------------------------------------------
    # cadence
    # ------------------------------------------------------------------

    def test_won_deal_gets_first_revisit_and_maintenance(self):
        activity = self._open(self.deal)
        self.assertEqual(activity.funnel_care, "first_revisit")
        self.assertEqual(activity.activity_type_id, self.type_first)
        self.assertEqual(activity.user_id, self.user_salesman_1)
        self.assertEqual(activity.date_deadline, date(2026, 3, 9), "won + 7 calendar days")
        self.assertEqual(self.deal.care_revisit_deadline, date(2026, 3, 9))
        self.assertEqual(self.customer.funnel_customer_state, "maintenance")
        self.assertFalse(self.deal.cadence_activity_id, "no sales follow-up on a won deal")

    def test_working_days_on_the_company_calendar(self):
        self.company.care_first_revisit_unit = "working_days"
        self.company.resource_calendar_id = self.env["resource.calendar"].create(
            {"name": "Care Office Hours", "tz": "UTC", "company_id": self.company.id}
        )
        with freeze_time("2026-03-06 10:00:00"):  # a Friday
            deal = self._lead(name="Friday deal")
            deal.action_set_won_rainbowman()
        # 7 working days after Friday 6 March: Tuesday 17 March
        self.assertEqual(self._open(deal).date_deadline, date(2026, 3, 17))

    def test_reassign_moves_lost_removes(self):
        deal = self.deal
        deal.user_id = self.user_salesman_2
        self.assertEqual(self._open(deal).user_id, self.user_salesman_2)
        open_stage = self.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        deal.write({"stage_id": open_stage.id})
        self.assertFalse(self._open(deal), "a re-opened deal has no care")
        deal.action_set_won_rainbowman()
        self.assertEqual(self._open(deal).funnel_care, "first_revisit")
        deal.action_archive()
        self.assertFalse(self._open(deal), "an archived deal has no care")

    def test_cron_catches_up_set_based(self):
        self.env.cr.execute(
            "DELETE FROM mail_activity WHERE funnel_care IS NOT NULL AND res_id IN %s",
            [(self.deal.id, self.other_deal.id)],
        )
        self.env.invalidate_all()
        Lead = self.env["crm.lead"]
        self.assertGreaterEqual(Lead._cron_sync_care(commit=False), 2)
        self.assertEqual(self._open(self.deal).funnel_care, "first_revisit")
        self.assertEqual(self._open(self.other_deal).user_id, self.user_salesman_2)
        self.assertEqual(Lead._cron_sync_care(commit=False), 0, "second run: nothing to do")

    # ------------------------------------------------------------------
    # care visits
    # ------------------------------------------------------------------

    @users("sf_salesman_1")
    def test_log_visit_completes_and_plans_next(self):
        deal = self.deal.with_env(self.env)
        with freeze_time("2026-03-06 08:00:00"):
            care = self.env["crm.lead.care"].create(
                {
                    "lead_id": deal.id,
                    "kind": "first_revisit",
                    "channel": "visit",
                    "satisfaction": 4,
                    "suggestions": "Month-end reports are slow.",
                    "has_repurchase_need": True,
                    "repurchase_need": "Two more production lines in Q3.",
                    "repurchase_revenue": 30000,
                }
            )
        self.assertEqual(care.satisfaction, "4")
        self.assertEqual(care.satisfaction_score, 4)
        self.assertEqual(care.user_id, self.user_salesman_1)
        self.assertEqual(care.partner_id, self.customer)
        self.assertTrue(care.activity_id)
        self.assertFalse(care.activity_id.active, "the first revisit is done")
        nxt = self._open(deal)
        self.assertEqual(nxt.funnel_care, "quarterly")
        self.assertEqual(nxt.activity_type_id, self.type_quarterly)
        self.assertEqual(nxt.date_deadline, date(2026, 6, 6))
        self.assertEqual(self.customer.funnel_customer_state, "potential_repurchase")
        self.assertEqual(deal.care_count, 1)

    @users("sf_salesman_1")
    def test_bad_satisfaction_refused_nothing_written(self):
        deal = self.deal.with_env(self.env)
        Care = self.env["crm.lead.care"]
        for value in (0, 6, "6"):
            with self.assertRaises(ValidationError) as error:
                Care.create({"lead_id": deal.id, "satisfaction": value})
            self.assertEqual(
                str(error.exception),
                f"The satisfaction score must be from 1 to 5 (got {value!r}).",
            )
        self.assertFalse(Care.search([("lead_id", "=", deal.id)]))
        self.assertEqual(self._open(deal).funnel_care, "first_revisit", "still open")
        care = Care.create({"lead_id": deal.id, "satisfaction": "5"})
        with self.assertRaises(ValidationError):
            care.write({"satisfaction": 0})
        self.assertEqual(care.satisfaction, "5")

    @users("sf_salesman_1")
    def test_visit_on_open_deal_refused(self):
        lead = self._lead(name="Still open").with_env(self.env)
        with self.assertRaises(ValidationError) as error:
            self.env["crm.lead.care"].create({"lead_id": lead.id})
        self.assertIn("won opportunities only", str(error.exception))

    @users("sf_salesman_1")
    def test_activity_done_in_chatter_logs_a_visit(self):
        deal = self.deal.with_env(self.env)
        with freeze_time("2026-03-05 08:00:00"):
            self._open(deal).with_env(self.env).action_feedback(feedback="Happy with go-live.")
        care = self.env["crm.lead.care"].search([("lead_id", "=", deal.id)])
        self.assertEqual(len(care), 1)
        self.assertEqual(care.kind, "first_revisit")
        self.assertEqual(care.suggestions, "Happy with go-live.")
        self.assertFalse(care.satisfaction)
        self.assertEqual(self._open(deal).funnel_care, "quarterly")

    def test_review_without_need_back_to_maintenance(self):
        Care = self.env["crm.lead.care"].with_user(self.user_salesman_1)
        Care.create({"lead_id": self.deal.id, "has_repurchase_need": True})
        self.assertEqual(self.customer.funnel_customer_state, "potential_repurchase")
        Care.create({"lead_id": self.deal.id, "kind": "repurchase_review"})
        self.assertEqual(self.customer.funnel_customer_state, "maintenance")

    # ------------------------------------------------------------------
    # repurchase / referral opportunities
    # ------------------------------------------------------------------

    @users("sf_salesman_1")
    def test_new_repurchase_opportunity(self):
        deal = self.deal.with_env(self.env)
        care = self.env["crm.lead.care"].create(
            {
                "lead_id": deal.id,
                "satisfaction": "5",
                "has_repurchase_need": True,
                "repurchase_need": "Two more production lines in Q3.",
                "repurchase_revenue": 30000,
            }
        )
        action = care.action_new_repurchase_opportunity()
        opp = self.env["crm.lead"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(opp.type, "opportunity")
        self.assertEqual(opp.partner_id, self.customer)
        self.assertEqual(opp.user_id, self.user_salesman_1)
        self.assertEqual(opp.team_id, self.team_1)
        self.assertEqual(opp.expected_revenue, 30000)
        self.assertEqual(opp.source_id, self.source_repurchase)
        self.assertEqual(opp.funnel_origin, "repurchase")
        self.assertEqual((opp.origin_lead_id, opp.origin_care_id), (deal, care))
        self.assertIn("Two more production lines in Q3.", opp.description)
        self.assertEqual(care.action_new_repurchase_opportunity()["res_id"], opp.id, "once")
        self.assertEqual((deal.derived_lead_count, care.opportunity_count), (1, 1))
        self.assertEqual(deal.action_view_derived_leads()["res_id"], opp.id)
        self.assertEqual(opp.action_view_origin_lead()["res_id"], deal.id)

    @users("sf_salesman_1")
    def test_new_referral_opportunity(self):
        deal = self.deal.with_env(self.env)
        Care = self.env["crm.lead.care"]
        no_intent = Care.create({"lead_id": deal.id, "satisfaction": "3"})
        with self.assertRaises(UserError) as error:
            no_intent.action_new_referral_opportunity()
        self.assertIn("no referral intent", str(error.exception))
        with self.assertRaises(UserError):
            no_intent.action_new_repurchase_opportunity()
        self.assertFalse(deal.derived_lead_count, "nothing created")
        care = Care.create(
            {
                "lead_id": deal.id,
                "referral_intent": True,
                "referral_partner_id": self.prospect.id,
                "referral_note": "Their sister plant in Suzhou.",
            }
        )
        opp = self.env["crm.lead"].browse(care.action_new_referral_opportunity()["res_id"])
        self.assertEqual(opp.partner_id, self.prospect)
        self.assertEqual(opp.source_id, self.source_referral)
        self.assertEqual(opp.referred, "Care Customer")
        self.assertEqual(opp.origin_lead_id, deal)

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------

    def test_salesman_sees_own_customers_only(self):
        Care = self.env["crm.lead.care"]
        mine = Care.with_user(self.user_salesman_1).create({"lead_id": self.deal.id})
        theirs = Care.with_user(self.user_salesman_2).create({"lead_id": self.other_deal.id})
        as_1 = Care.with_user(self.user_salesman_1)
        self.assertEqual(as_1.search([("id", "in", (mine | theirs).ids)]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_salesman_1).read(["satisfaction"])
        with self.assertRaises(AccessError):
            as_1.create({"lead_id": self.other_deal.id, "satisfaction": "1"})
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_salesman_1).action_new_repurchase_opportunity()
        with self.assertRaises(AccessError):
            mine.with_user(self.user_salesman_1).unlink()
        as_manager = Care.with_user(self.user_manager)
        self.assertEqual(as_manager.search([("id", "in", (mine | theirs).ids)]), mine | theirs)

    # ------------------------------------------------------------------
    # figures
    # ------------------------------------------------------------------

    def _visits(self):
        Care = self.env["crm.lead.care"]
        with freeze_time("2026-03-05 08:00:00"):  # first revisit on time
            mine = Care.with_user(self.user_salesman_1).create(
                {"lead_id": self.deal.id, "satisfaction": "5", "has_repurchase_need": True}
            )
        with freeze_time("2026-03-06 08:00:00"):
            Care.with_user(self.user_salesman_1).create(
                {"lead_id": self.deal.id, "satisfaction": "3", "suggestions": "Faster support"}
            )
        with freeze_time("2026-03-20 08:00:00"):  # first revisit late
            Care.with_user(self.user_salesman_2).create(
                {"lead_id": self.other_deal.id, "satisfaction": "2", "referral_intent": True}
            )
        mine.with_user(self.user_salesman_1).action_new_repurchase_opportunity()

    def test_funnel_analysis_care_measures(self):
        self._visits()
        Report = self.env["crm.funnel.report"].with_user(self.user_manager)
        domain = [("lead_id", "in", (self.deal | self.other_deal).ids), ("funnel_role", "=", "won")]
        rows = {row.lead_id: row for row in Report.search(domain)}
        deal, other = rows[self.deal], rows[self.other_deal]
        self.assertEqual((deal.care_satisfaction, deal.care_count), (4.0, 2))
        self.assertEqual((deal.care_revisit_on_time, other.care_revisit_on_time), (100.0, 0.0))
        self.assertEqual((deal.repurchase_count, deal.repurchase_rate), (1, 100.0))
        self.assertEqual((other.repurchase_count, other.referral_count), (0, 0))
        [group] = Report._read_group(
            domain, [], ["care_satisfaction:avg", "care_revisit_on_time:avg", "repurchase_rate:avg"]
        )
        self.assertEqual(group, (3.0, 50.0, 50.0))
        # not the won row: no care figures (a lead is counted once)
        other_rows = Report.search([("lead_id", "=", self.deal.id), ("funnel_role", "!=", "won")])
        self.assertFalse(any(other_rows.mapped("care_count")))
        # salesman 1: his own deal only
        as_salesman = Report.with_user(self.user_salesman_1).search(domain)
        self.assertEqual(as_salesman.lead_id, self.deal)

    def test_xlsx_customer_care_sheet(self):
        self._visits()
        domain = [("id", "in", (self.deal | self.other_deal).ids)]
        for user, expected in (
            (self.user_manager, ["Care Customer", "Care Customer", "Acme Manufacturing"]),
            (self.user_salesman_1, ["Care Customer", "Care Customer"]),
        ):
            env = self.env(user=user)
            book = openpyxl.load_workbook(io.BytesIO(FunnelXlsxExport(env, domain).build()))
            sheet = book["Customer Care"]
            header = [cell.value for cell in sheet[1]]
            rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
            self.assertEqual(
                header[:5], ["Date", "Opportunity", "Customer", "Visit Type", "Channel"]
            )
            self.assertEqual([row[2] for row in rows], expected)
            self.assertEqual(rows[0][header.index("Satisfaction")], 5)
            self.assertEqual(rows[0][header.index("Repurchase / Upsell Need")], "Yes")
        # the summary's care figures: the manager's selection (both deals)
        env = self.env(user=self.user_manager)
        book = openpyxl.load_workbook(io.BytesIO(FunnelXlsxExport(env, domain).build()))
        figures = {
            row[0]: row[1] for row in book["Funnel Summary"].iter_rows(values_only=True) if row[0]
        }
        self.assertEqual(figures["Average Customer Satisfaction (1-5)"], 3.0)
        self.assertEqual(figures["First Revisit On Time"], 0.5)
        self.assertEqual(figures["Repurchase Rate"], 0.5)
        self.assertEqual(figures["Repurchase Opportunities"], 1)
        self.assertEqual(figures["Referral Opportunities"], 0)

    def test_other_company_visits_invisible(self):
        deal = self.env["crm.lead"].create(
            {
                "name": "Company 2 deal",
                "type": "opportunity",
                "company_id": self.company_2.id,
                "user_id": False,
                "partner_id": self.customer.id,
            }
        )
        deal.action_set_won_rainbowman()
        care = self.env["crm.lead.care"].create({"lead_id": deal.id, "satisfaction": "4"})
        self.assertEqual(care.company_id, self.company_2)
        Care = self.env["crm.lead.care"]
        self.assertFalse(Care.with_user(self.user_salesman_1).search([("id", "=", care.id)]))
        self.assertEqual(
            Care.with_user(self.user_manager)
            .with_context(allowed_company_ids=(self.company | self.company_2).ids)
            .search([("id", "=", care.id)]),
            care,
        )

    @users("sf_manager")
    def test_manager_moves_a_visit_to_another_deal(self):
        """Visits of all deals for the manager; the next care follows the last visit."""
        care = self.env["crm.lead.care"].create({"lead_id": self.other_deal.id})
        self.assertEqual(self._open(self.other_deal).funnel_care, "quarterly")
        care.lead_id = self.deal
        self.assertEqual(self._open(self.other_deal).funnel_care, "first_revisit")
        self.assertEqual(self._open(self.deal).funnel_care, "quarterly")
