import psycopg2.errors

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, users
from odoo.tools import mute_logger

from .common import FunnelCase


class TestBnduGrade(FunnelCase):
    def _graded(self, b, n, d, u):
        lead = self._lead(**self.scores(b, n, d, u))
        return lead.bndu_total, lead.bndu_grade

    @users("sf_salesman_1")
    def test_playbook_arithmetic(self):
        self.assertEqual(self._graded(5, 5, 3, 3), (16.0, "a"))
        self.assertEqual(self._graded(5, 5, 3, 2), (15.0, "a"))
        self.assertEqual(self._graded(3, 3, 3, 3), (12.0, "b"))
        self.assertEqual(self._graded(2, 2, 2, 2), (8.0, "b"))
        self.assertEqual(self._graded(2, 2, 2, 1), (7.0, "c"))

    @users("sf_salesman_1")
    def test_partial_score_is_not_qualified(self):
        lead = self._lead(bndu_budget="5", bndu_need="5", bndu_decision="5")
        self.assertEqual(lead.bndu_grade, "none")
        self.assertEqual(lead.bndu_total, 0.0)
        lead.bndu_urgency = "1"
        self.assertEqual((lead.bndu_total, lead.bndu_grade), (16.0, "a"))
        lead.bndu_urgency = False
        self.assertEqual(lead.bndu_grade, "none")

    @users("sf_salesman_1")
    def test_form_updates_live(self):
        lead = self._lead()
        with Form(lead) as form:
            form.bndu_budget = "3"
            form.bndu_need = "3"
            form.bndu_decision = "3"
            self.assertEqual(form.bndu_grade, "none")
            form.bndu_urgency = "3"
            self.assertEqual(form.bndu_total, 12.0)
            self.assertEqual(form.bndu_grade, "b")
        self.assertEqual(lead.bndu_grade, "b")

    def test_weight_change_regrades_existing_lead(self):
        lead = self._lead(**self.scores(3, 3, 3, 3))  # 12 -> B
        other_company_lead = self._lead(
            user=self.user_manager,
            team_id=False,
            company_id=self.company_2.id,
            **self.scores(3, 3, 3, 3),
        )
        messages = len(lead.message_ids)
        self.company.with_user(self.user_admin).bndu_weight_budget = 2  # 15 -> A
        self.assertEqual((lead.bndu_total, lead.bndu_grade), (15.0, "a"))
        self.assertEqual(other_company_lead.bndu_grade, "b", "other company keeps its rules")
        self.assertEqual(len(lead.message_ids), messages, "batch re-grade posts nothing")

    def test_threshold_change_regrades_in_batch(self):
        leads = self.env["crm.lead"]
        for scores in ((5, 5, 3, 3), (3, 3, 3, 3), (2, 2, 2, 1), (2, 2, 2, 2)):
            leads |= self._lead(**self.scores(*scores))
        unscored = self._lead()
        self.assertEqual(leads.mapped("bndu_grade"), ["a", "b", "c", "b"])
        # one UPDATE, whatever the number of leads
        self.env.flush_all()
        with self.assertQueryCount(12):
            self.company.write({"bndu_threshold_a": 20, "bndu_threshold_b": 10})
        self.assertEqual(leads.mapped("bndu_grade"), ["b", "b", "c", "c"])
        self.assertEqual(unscored.bndu_grade, "none")

    def test_settings_page_saves_rules_together(self):
        lead = self._lead(**self.scores(5, 5, 5, 5))  # 20
        settings = self.env["res.config.settings"].with_user(self.user_admin).create({})
        # raising both thresholds above the old A: would fail if written one by one
        settings.bndu_threshold_a = 30
        settings.bndu_threshold_b = 20
        settings.execute()
        self.assertEqual((self.company.bndu_threshold_a, self.company.bndu_threshold_b), (30, 20))
        self.assertEqual(lead.bndu_grade, "b")


class TestBnduBadInput(FunnelCase):
    @users("sf_salesman_1")
    def test_out_of_range_scores_refused(self):
        lead = self._lead(**self.scores(3, 3, 3, 3))
        for bad in (0, 6, -1, "6", "abc", "0"):
            with self.assertRaises(ValidationError) as err:
                lead.write({"bndu_budget": bad, "name": "changed"})
            self.assertIn("Budget (B)", str(err.exception))
            self.assertIn("1 to 5", str(err.exception))
        self.assertEqual(lead.name, "Funnel lead", "no partial write")
        self.assertEqual(lead.bndu_budget, "3")
        with self.assertRaises(ValidationError):
            self._lead(bndu_urgency=9)

    @users("sf_salesman_1")
    def test_integer_score_accepted_from_rpc(self):
        lead = self._lead(bndu_budget=5, bndu_need=5, bndu_decision=3, bndu_urgency=3)
        self.assertEqual((lead.bndu_budget, lead.bndu_grade), ("5", "a"))

    @mute_logger("odoo.sql_db")
    def test_database_check_is_last_line(self):
        lead = self._lead()
        self.env.flush_all()
        with self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE crm_lead SET bndu_need = '7' WHERE id = %s", [lead.id])

    def _fresh_company(self, name="Rules Co"):
        company = self.env["res.company"].create({"name": name})
        self.user_admin.company_ids |= company
        return company.with_user(self.user_admin)

    def test_company_created_with_bad_rules(self):
        with self.assertRaisesRegex(ValidationError, "New Co: the grade A threshold"):
            self.env["res.company"].create({"name": "New Co", "bndu_threshold_b": 20})
        self.assertFalse(self.env["res.company"].search([("name", "=", "New Co")]))

    def test_company_rules_validated(self):
        with self.assertRaisesRegex(ValidationError, "zero or positive"):
            self._fresh_company("Rules Co 1").bndu_weight_need = -1
        with self.assertRaisesRegex(ValidationError, "at least one BNDU weight"):
            self._fresh_company("Rules Co 2").write(
                {
                    "bndu_weight_budget": 0,
                    "bndu_weight_need": 0,
                    "bndu_weight_decision": 0,
                    "bndu_weight_urgency": 0,
                }
            )
        company = self._fresh_company()
        with self.assertRaisesRegex(ValidationError, "grade A threshold"):
            company.write({"bndu_threshold_a": 8, "bndu_threshold_b": 8, "name": "renamed"})
        self.env.invalidate_all(flush=False)
        self.assertEqual((company.name, company.bndu_threshold_a), ("Rules Co", 15))

    def test_import_bad_row_imports_nothing(self):
        Lead = self.env["crm.lead"].with_user(self.user_salesman_1)
        fields = ["name", "type", "bndu_budget", "bndu_need", "bndu_decision", "bndu_urgency"]
        good = Lead.load(fields, [["Imported A", "opportunity", "5", "5", "3", "3"]])
        self.assertFalse(good["messages"], good["messages"])
        self.assertEqual(Lead.browse(good["ids"]).bndu_grade, "a")
        result = Lead.load(
            fields,
            [
                ["Imported 1", "opportunity", "3", "3", "3", "3"],
                ["Imported 2", "opportunity", "7", "3", "3", "3"],
                ["Imported 3", "opportunity", "2", "2", "2", "2"],
            ],
        )
        self.assertFalse(result["ids"])
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertTrue(errors)
        self.assertEqual(errors[0]["record"], 1, "the error names the second row")
        self.assertFalse(Lead.search([("name", "in", ["Imported 1", "Imported 3"])]))


class TestBnduFlows(FunnelCase):
    def test_conversion_keeps_scores(self):
        lead = self._lead(type="lead", **self.scores(5, 5, 3, 3))
        lead.with_user(self.user_salesman_1).convert_opportunity(self.partner)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual((lead.bndu_budget, lead.bndu_grade), ("5", "a"))

    def test_merge_keeps_most_complete_scores(self):
        complete = self._lead(name="complete", **self.scores(2, 2, 2, 1))
        partial = self._lead(name="partial", bndu_budget="5", bndu_need="5")
        target = self._lead(name="empty")
        merged = (
            (target | partial | complete)
            .with_user(self.user_manager)
            .merge_opportunity(auto_unlink=False)
        )
        self.assertEqual(
            [merged.bndu_budget, merged.bndu_need, merged.bndu_decision, merged.bndu_urgency],
            ["2", "2", "2", "1"],
        )
        self.assertEqual(merged.bndu_grade, "c")


class TestBnduAccess(FunnelCase):
    def test_salesman_cannot_change_rules(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.user_salesman_1).write({"bndu_threshold_a": 20})
        self.assertEqual(self.company.bndu_threshold_a, 15)

    def test_salesman_scores_only_leads_he_can_write(self):
        own = self._lead(user=self.user_salesman_1)
        others = self._lead(user=self.user_salesman_2)
        own.with_user(self.user_salesman_1).write(self.scores(3, 3, 3, 3))
        self.assertEqual(own.bndu_grade, "b")
        # a salesman (own documents only) cannot read nor score another salesman's lead
        with self.assertRaises(AccessError):
            others.with_user(self.user_salesman_1).write(self.scores(3, 3, 3, 3))
        self.assertEqual(others.bndu_grade, "none")


class TestBnduPerformance(FunnelCase):
    def test_score_write_query_count(self):
        lead = self._lead(**self.scores(3, 3, 3, 2)).with_user(self.user_salesman_1)
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(24):
            lead.write({"bndu_urgency": "3"})
            lead.env.flush_all()

    def test_kanban_read_query_count(self):
        """The grade badge is a stored column: reading it costs no extra query."""
        for i in range(20):
            self._lead(name=f"card {i}", **self.scores(3, 3, 3, (i % 5) + 1))
        Lead = self.env["crm.lead"].with_user(self.user_salesman_1)
        spec = {"name": {}, "stage_id": {"fields": {"display_name": {}}}, "user_id": {}}
        counts = []
        for extra in ({}, {"bndu_grade": {}, "bndu_total": {}}):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records = Lead.web_search_read(
                [("type", "=", "opportunity")], {**spec, **extra}, limit=80
            )
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(records["length"], 20)
        self.assertLessEqual(counts[1], counts[0] + 1, counts)


class TestBnduTranslation(FunnelCase):
    def test_error_in_chinese_for_zh_cn_user(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["sales_funnel_std"], ["zh_CN"])
        self.user_salesman_1.lang = "zh_CN"
        # the web client sends the user's language in the context
        lead = self._lead().with_user(self.user_salesman_1).with_context(lang="zh_CN")
        with self.assertRaises(ValidationError) as err:
            lead.write({"bndu_budget": "9"})
        self.assertIn("预算（B）", str(err.exception))
        self.assertIn("1 到 5 分", str(err.exception))


class TestBnduRulesForm(FunnelCase):
    def test_sales_administrator_changes_rules(self):
        lead = self._lead(**self.scores(3, 3, 3, 3))  # 12 -> B
        self.assertFalse(self.user_manager.has_group("base.group_system"))
        form = Form(self.env["crm.bndu.rules"].with_user(self.user_manager))
        self.assertEqual(form.bndu_threshold_a, 15)
        form.bndu_threshold_a = 12
        form.bndu_threshold_b = 6
        form.save().action_apply()
        self.assertEqual(self.company.bndu_threshold_a, 12)
        self.assertEqual(lead.bndu_grade, "a")

    def test_invalid_rules_refused_with_named_rule(self):
        wizard = (
            self.env["crm.bndu.rules"]
            .with_user(self.user_manager)
            .create({"bndu_threshold_a": 5, "bndu_threshold_b": 10})
        )
        with self.assertRaisesRegex(ValidationError, "grade A threshold"):
            wizard.action_apply()
        self.assertEqual(self.company.bndu_threshold_a, 15)

    def test_salesman_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["crm.bndu.rules"].with_user(self.user_salesman_1).create({})
