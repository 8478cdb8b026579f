import base64
import io
import zipfile
from datetime import datetime

import openpyxl
from freezegun import freeze_time

from odoo.addons.sales_funnel_std.report.funnel_xlsx import SHEETS, FunnelXlsxExport
from odoo.exceptions import ValidationError
from odoo.tests import Form, users

from .common_analytics import AnalyticsCase


class TestFunnelXlsx(AnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s1, s2 = cls.user_salesman_1, cls.user_salesman_2
        cls.l1 = cls._lead(
            s1,
            name="Xlsx A lead",
            contact_name="Li Lei",
            expected_revenue=12000.5,
            **cls.scores(5, 5, 5, 5),
        )
        cls.l2 = cls._lead(s1, name="Xlsx unqualified")
        cls.l3 = cls._lead(s2, name="Xlsx B lead", **cls.scores(3, 3, 3, 3))
        cls.l4 = cls._lead(s2, name="Xlsx won", expected_revenue=5000)
        cls.l5 = cls._lead(s1, name="Xlsx lost")
        cls._history(cls.l1, [("acquisition", 1), ("qualification", None)])
        cls._history(cls.l4, [("acquisition", 1), ("proposal", 2), ("won", None)], "won")
        cls._history(cls.l5, [("acquisition", None)], "lost")
        cls.teams = cls.team_1 | cls.team_2

    def _export(self, **vals):
        """Run the wizard like the user does; return the workbook read back with openpyxl."""
        vals.setdefault("team_ids", [(6, 0, self.teams.ids)])
        wizard = self.env["crm.funnel.export"].create(vals)
        action = wizard.action_export()
        self.assertIn(f"id={wizard.id}", action["url"])
        content = base64.b64decode(wizard.xlsx_file)
        self.last_filename = wizard.xlsx_filename
        return openpyxl.load_workbook(io.BytesIO(content))

    @staticmethod
    def _rows(sheet):
        return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]

    @staticmethod
    def _header(sheet):
        return [cell.value for cell in sheet[1]]

    def _column(self, sheet, label):
        return self._header(sheet).index(label)

    # ------------------------------------------------------------

    @users("sf_manager")
    def test_workbook_structure(self):
        book = self._export()
        self.assertEqual(
            book.sheetnames,
            [
                "Funnel Summary",
                "Pipeline",
                "Follow-up Log",
                "Handovers",
                "Targets",
                "Forecast",
                "Objections",
                "Customer Care",
            ],
        )
        pipeline = book["Pipeline"]
        header = self._header(pipeline)
        self.assertEqual(
            header[:6], ["Opportunity", "Customer", "Contact", "Salesperson", "Sales Team", "Stage"]
        )
        for label in ("Days in Stage", "Budget (B)", "BNDU Score", "Grade", "Expected Revenue"):
            self.assertIn(label, header)
        rows = self._rows(pipeline)
        names = [row[0] for row in rows]
        self.assertEqual(
            names, ["Xlsx A lead", "Xlsx unqualified", "Xlsx B lead", "Xlsx won", "Xlsx lost"]
        )
        first = dict(zip(header, rows[0], strict=True))
        self.assertEqual(first["Customer"], "Acme Manufacturing")
        self.assertEqual(first["Contact"], "Li Lei")
        self.assertEqual(first["Salesperson"], "Funnel Salesman 1")
        self.assertEqual(first["Sales Team"], "Funnel Team 1")
        self.assertEqual(first["Stage"], "Funnel qualification")
        self.assertEqual(first["Budget (B)"], 5)
        self.assertEqual(first["BNDU Score"], 20)
        self.assertEqual(first["Grade"], "A – High intent")
        self.assertEqual(first["Expected Revenue"], 12000.5)
        # handovers: the won lead only
        handovers = book["Handovers"]
        self.assertEqual([row[0] for row in self._rows(handovers)], ["Xlsx won"])
        # summary figures come from the funnel report
        summary = book["Funnel Summary"]
        self.assertEqual(summary["A3"].value, "Stage")
        self.assertEqual(summary["B4"].value, 3)  # reached acquisition: l1, l4, l5 (history)
        self.assertEqual(summary["D4"].value, 1)  # lost at acquisition: l5
        self.assertEqual(len(summary._charts), 1)

    @users("sf_manager")
    def test_formats(self):
        book = self._export()
        pipeline = book["Pipeline"]
        self.assertEqual(pipeline.freeze_panes, "A2")
        self.assertTrue(pipeline.auto_filter.ref.startswith("A1:"))
        self.assertTrue(pipeline.auto_filter.ref.endswith("6"))  # header + 5 rows
        self.assertTrue(all(cell.font.b for cell in pipeline[1]))
        col = self._column(pipeline, "Expected Revenue") + 1
        money = pipeline.cell(row=2, column=col)
        self.assertIn("#,##0.00", money.number_format)
        self.assertIn(self.env.company.currency_id.symbol, money.number_format)
        created = pipeline.cell(row=2, column=self._column(pipeline, "Created on") + 1)
        self.assertTrue(created.is_date)
        self.assertIsInstance(created.value, datetime)
        self.assertGreater(pipeline.column_dimensions["A"].width, 20)

    def test_chart_in_summary(self):
        exporter = FunnelXlsxExport(self.env, [("team_id", "in", self.teams.ids)])
        content = exporter.build()
        with io.BytesIO(content) as stream:
            with zipfile.ZipFile(stream) as archive:
                charts = [name for name in archive.namelist() if name.startswith("xl/charts/")]
        self.assertEqual(len(charts), 1)

    @users("sf_salesman_1")
    def test_salesman_exports_own_leads_only(self):
        book = self._export(team_ids=False)
        names = {row[0] for row in self._rows(book["Pipeline"])}
        self.assertEqual(names, {"Xlsx A lead", "Xlsx unqualified", "Xlsx lost"})
        self.assertEqual(
            self._rows(book["Handovers"])[0][0], "No won opportunity in the selection."
        )
        # the summary is limited the same way: 2 of the salesman's leads have a funnel stage
        self.assertEqual(book["Funnel Summary"]["B4"].value, 2)

    @users("sf_salesman_1")
    def test_salesman_cannot_export_others_by_selection(self):
        wizard = (
            self.env["crm.funnel.export"]
            .with_context(active_model="crm.lead", active_ids=[self.l1.id])
            .create({})
        )
        wizard.lead_ids = [(4, self.l1.id)]
        self.assertEqual(wizard.lead_count, 1)
        exporter = FunnelXlsxExport(self.env, [("id", "in", [self.l1.id, self.l3.id])])
        book = openpyxl.load_workbook(io.BytesIO(exporter.build()))
        self.assertEqual([row[0] for row in self._rows(book["Pipeline"])], ["Xlsx A lead"])

    @users("sf_manager")
    def test_export_selected_leads_from_list(self):
        action_context = {"active_model": "crm.lead", "active_ids": [self.l3.id, self.l4.id]}
        form = Form(self.env["crm.funnel.export"].with_context(**action_context))
        self.assertEqual(form.lead_count, 2)
        wizard = form.save()
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.xlsx_file)))
        self.assertEqual(
            [row[0] for row in self._rows(book["Pipeline"])], ["Xlsx B lead", "Xlsx won"]
        )

    @users("sf_manager")
    def test_filters(self):
        book = self._export(grade_a=True, grade_b=True)
        self.assertEqual(
            [row[0] for row in self._rows(book["Pipeline"])], ["Xlsx A lead", "Xlsx B lead"]
        )
        book = self._export(user_ids=[(6, 0, self.user_salesman_2.ids)], include_lost=False)
        self.assertEqual(
            [row[0] for row in self._rows(book["Pipeline"])], ["Xlsx B lead", "Xlsx won"]
        )

    @users("sf_manager")
    def test_empty_selection_gives_valid_workbook(self):
        book = self._export(date_from="2099-01-01")
        self.assertEqual(len(book.sheetnames), len(SHEETS))
        self.assertEqual(self._rows(book["Targets"])[0][0], "No target for the selected period.")
        self.assertEqual(
            [row for row in self._rows(book["Forecast"]) if row[0]],
            [
                ["Month", "Salesperson", *self._header(book["Forecast"])[2:]],
                ["No forecast for the selected period.", *[None] * 6],
            ],
        )
        pipeline = book["Pipeline"]
        self.assertEqual(self._header(pipeline)[0], "Opportunity")
        self.assertEqual(
            self._rows(pipeline),
            [["No opportunity matches the selection."] + [None] * (pipeline.max_column - 1)],
        )
        self.assertEqual(book["Funnel Summary"]["B4"].value, 0)

    @users("sf_manager")
    def test_bad_period(self):
        with self.assertRaises(ValidationError):
            self.env["crm.funnel.export"].create(
                {"date_from": "2026-02-01", "date_to": "2026-01-01"}
            )

    @users("sf_manager")
    def test_filename_says_what_and_when(self):
        self.env.user.tz = "Asia/Shanghai"
        with freeze_time("2026-11-24 07:30:00"):
            self._export()
        self.assertEqual(self.last_filename, "funnel_export_2026-11-24_1530.xlsx")

    def test_headers_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm"], ["zh_CN"])
        user = self.user_manager
        user.lang = "zh_CN"
        env = self.env(user=user, context={"lang": "zh_CN"})
        exporter = FunnelXlsxExport(env, [("team_id", "in", self.teams.ids)])
        book = openpyxl.load_workbook(io.BytesIO(exporter.build()))
        pipeline = book.worksheets[1]
        header = self._header(pipeline)
        self.assertEqual(header[0], "商机")
        self.assertIn("销售人员", header)
        self.assertIn("阶段", header)
        self.assertIn("预期收入", header)

    def _handover_rows(self, user):
        """Header and rows of the Handovers sheet exported by ``user``."""
        env = self.env(user=user)
        book = openpyxl.load_workbook(
            io.BytesIO(FunnelXlsxExport(env, [("team_id", "in", self.teams.ids)]).build())
        )
        sheet = book["Handovers"]
        return self._header(sheet), self._rows(sheet)

    def test_fields_the_user_cannot_read_are_not_exported(self):
        """The delivery project is for Project users (field groups): a salesman without
        Project rights does not see it in the form, nor in the export."""
        project = self.env["project.project"].create({"name": "Secret delivery"})
        self.l4.handover_project_id = project
        self.env["project.task"].create(
            {"name": "Kick-off", "project_id": project.id, "funnel_lead_id": self.l4.id}
        )
        header, rows = self._handover_rows(self.user_salesman_2)
        self.assertEqual([row[0] for row in rows], ["Xlsx won"], "his won deal is exported")
        delivery = self.l4._fields["handover_project_id"].string
        self.assertNotIn(delivery, header)
        self.assertNotIn("Tasks", header)
        self.assertNotIn("Secret delivery", [cell for row in rows for cell in row])
        # a Project user reads both, like in the form
        self.user_manager.group_ids = [(4, self.env.ref("project.group_project_user").id)]
        header, rows = self._handover_rows(self.user_manager)
        row = dict(zip(header, rows[0], strict=True))
        self.assertEqual(row[delivery], "Secret delivery")
        self.assertEqual(row["Tasks"], 1)

    def test_values_written_in_the_same_transaction_are_exported(self):
        """The export reads with SQL: what the ORM has not flushed yet is flushed first."""
        self.l4.with_user(self.user_salesman_2).write({"contract_number": "HT-UNFLUSHED"})
        header, rows = self._handover_rows(self.user_salesman_2)
        contract = self.l4._fields["contract_number"].string
        self.assertEqual(dict(zip(header, rows[0], strict=True))[contract], "HT-UNFLUSHED")

    def test_chunks_give_the_same_rows(self):
        """Rows read by chunks of 2 leads equal rows read in one chunk, in the same order."""
        domain = [("team_id", "in", self.teams.ids)]
        books = [
            openpyxl.load_workbook(
                io.BytesIO(FunnelXlsxExport(self.env, domain, chunk_size=size).build())
            )
            for size in (2, 2000)
        ]
        small, large = (self._rows(book["Pipeline"]) for book in books)
        self.assertEqual(len(small), 5)
        self.assertEqual(small, large)

    def test_queries_do_not_grow_with_leads(self):
        """One query per chunk of 2,000 leads, whatever the number of leads."""

        def count(domain):
            self.env.invalidate_all()
            exporter = FunnelXlsxExport(self.env, domain)
            before = self.env.cr.sql_log_count
            exporter.build()
            return self.env.cr.sql_log_count - before

        self._place(self.l1, "won", "won")  # the handover sheet has rows in both runs
        for index in range(10):
            self._lead(name=f"Bulk {index}")
        domain = ["|", ("id", "=", self.l1.id), ("name", "=like", "Bulk %")]
        count(domain)  # warm the translation caches
        few = count(domain)  # 11 leads
        for index in range(10, 40):
            self._lead(name=f"Bulk {index}")
        count(domain)  # creating leads left user/partner caches to refill once
        many = count(domain)  # 41 leads of the same kinds
        self.assertEqual(few, many)
        with self.assertQueryCount(few):
            self.env.invalidate_all()
            FunnelXlsxExport(self.env, domain).build()


class TestFunnelXlsxCadence(AnalyticsCase):
    """Columns and figures fed by the follow-up feature (跟进记录, first-contact SLA)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "crm.lead.followup" not in cls.env:
            cls.skipTest(cls, "follow-up feature not installed")
        cls.l1 = cls._lead(name="Cadence A lead", **cls.scores(5, 5, 5, 5))
        cls.l2 = cls._lead(cls.user_salesman_2, name="Other salesman", **cls.scores(3, 3, 3, 3))
        cls.teams = cls.team_1 | cls.team_2

    def _book(self, env):
        exporter = FunnelXlsxExport(env, [("team_id", "in", self.teams.ids)])
        return openpyxl.load_workbook(io.BytesIO(exporter.build()))

    def test_followup_log_sheet_and_sla(self):
        lead = self.l1.with_user(self.user_salesman_1)
        self.assertEqual(lead.sla_state, "pending")
        lead.action_log_followup(
            {
                "channel": "visit",
                "summary": "Demo of the line",
                "feedback": "Wants a quote",
                "attitude_before": "cold",
                "attitude_after": "interested",
                "next_step": "Send the quote",
            }
        )
        self.l2.with_user(self.user_salesman_2).action_log_followup(
            {"channel": "phone", "summary": "Not for salesman 1"}
        )
        book = self._book(self.env(user=self.user_salesman_1))
        log = book["Follow-up Log"]
        header = [cell.value for cell in log[1]]
        rows = [
            dict(zip(header, row, strict=True))
            for row in log.iter_rows(min_row=2, values_only=True)
        ]
        self.assertEqual(len(rows), 1, "salesman 1 only sees the follow-ups of his leads")
        row = rows[0]
        self.assertEqual(row["Opportunity"], "Cadence A lead")
        self.assertEqual(row["Channel"], "Visit")
        self.assertEqual(row["Summary"], "Demo of the line")
        self.assertEqual(row["Customer Feedback"], "Wants a quote")
        self.assertEqual(row["Attitude Change"], "Cold → Interested")
        self.assertEqual(row["Next Step"], "Send the quote")
        self.assertEqual(row["Salesperson"], "Funnel Salesman 1")
        self.assertIsInstance(row[header[0]], datetime)
        # the pipeline shows the SLA state, the summary its compliance and follow-ups done
        pipeline = book["Pipeline"]
        p_header = [cell.value for cell in pipeline[1]]
        first = dict(
            zip(p_header, next(pipeline.iter_rows(min_row=2, values_only=True)), strict=True)
        )
        self.assertEqual(first["First Contact SLA"], "Met")
        summary = book["Funnel Summary"]
        labels = {row[0]: row[1:3] for row in summary.iter_rows(values_only=True) if row[0]}
        self.assertEqual(labels["First-Contact SLA Compliance"][0], 1.0)  # 1 met, 0 breached
        grade_a = self.env["crm.lead"]._fields["bndu_grade"].convert_to_export("a", self.l1)
        self.assertEqual(labels[grade_a][1], 1, "one cadence follow-up done on grade A")
        self.assertGreaterEqual(labels[grade_a][0], 1)
