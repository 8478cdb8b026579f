"""Coexistence with the CRM the addon extends (issue 13): install story, adoption per team,
advisory checklists, no context-key bypass."""

import re
from unittest.mock import patch

from odoo.exceptions import AccessError, RedirectWarning, UserError
from odoo.tests import users

from .common_gates import GatesCase

# every context key the addon reads (and the core ones a client could hope would help)
CONTEXT_KEYS = {
    "funnel_gate_force_reason": "I say so",
    "funnel_gate_no_chatter": True,
    "funnel_handover_confirm": True,
    "import_file": True,
    "tracking_disable": True,
    "active_test": False,
    "install_mode": True,
    "module": "sales_funnel_std",
}


class TestInstallStory(GatesCase):
    """The test database is fresh (make test installs the addon without demo data)."""

    def test_fresh_database_pipeline_is_the_standard_funnel(self):
        shared = self.env["crm.stage"].search([("team_ids", "=", False)])
        self.assertEqual(
            shared.mapped("funnel_role"),
            ["acquisition", "qualification", "discovery", "proposal", "negotiation", "won"],
            "the pipeline is the six standard stages and Won, nothing else",
        )
        self.assertEqual(shared.filtered("is_won"), self.stage_won)
        self.assertTrue(self.company.funnel_adopted, "a fresh database adopts at install")

    def test_crm_default_stages_are_folded(self):
        expected = {
            "crm.stage_lead1": self.stage_acquisition,
            "crm.stage_lead2": self.stage_qualification,
            "crm.stage_lead3": self.stage_proposal,
        }
        for xmlid, target in expected.items():
            stage = self.env.ref(xmlid)
            self.assertFalse(stage.active, xmlid)
            self.assertEqual(stage.fold_into_id, target, xmlid)

    @users("sf_salesman_1")
    def test_lead_put_in_a_folded_stage_goes_to_the_standard_one(self):
        new = self.env.ref("crm.stage_lead1")
        lead = self._lead(stage_id=new.id).with_env(self.env)
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        self._tick_acquisition(lead)
        lead.write({"stage_id": self.env.ref("crm.stage_lead2").id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    def test_restored_stage_is_no_longer_folded(self):
        stage = self.env.ref("crm.stage_lead3")
        stage.active = True
        self.assertFalse(stage.fold_into_id)
        self.team_1.funnel_adopted = False  # the gate is not what this test is about
        lead = self._lead(stage_id=stage.id)
        self.assertEqual(lead.stage_id, stage)

    def test_existing_pipeline_is_kept_and_advisory(self):
        """Install on a database whose stages hold opportunities: nothing folded, nothing
        adopted (the fold runs again here on that state, as at install)."""
        Stage = self.env["crm.stage"]
        self.env["res.company"].search([]).funnel_adopted = False
        self.env["crm.team"].search([]).funnel_adopted = False
        custom = Stage.create({"name": "Prospecting", "sequence": 1})
        self._lead(stage_id=custom.id)
        self.assertFalse(Stage._funnel_install_fold())
        self.assertTrue(custom.active)
        self.assertFalse(self.company.funnel_adopted)
        self.assertFalse(self.team_1.funnel_adopted)

    def test_empty_pipeline_is_folded(self):
        Stage = self.env["crm.stage"]
        self.env["res.company"].search([]).funnel_adopted = False
        self.env["crm.team"].search([]).funnel_adopted = False
        custom = Stage.create({"name": "Prospecting", "sequence": 1})
        self.assertTrue(Stage._funnel_install_fold())
        self.assertFalse(custom.active)
        self.assertEqual(custom.fold_into_id, self.stage_acquisition)
        self.assertTrue(self.company.funnel_adopted)
        self.assertTrue(self.team_1.funnel_adopted)

    def test_admin_data_survives_an_upgrade(self):
        """Rules and stage data an admin may edit are noupdate: an upgrade keeps the edit."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "sales_funnel_std"), ("model", "in", ("ir.rule", "crm.stage"))]
        )
        self.assertTrue(data)
        items = self.env["ir.model.data"].search(
            [("module", "=", "sales_funnel_std"), ("model", "=", "crm.stage.checklist.item")]
        )
        self.assertTrue(items)
        updatable = (data | items).filtered(lambda imd: not imd.noupdate)
        self.assertFalse(updatable.mapped("complete_name"))


class TestAdoption(GatesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_1.funnel_adopted = True
        cls.team_2.funnel_adopted = False

    def _advisory_lead(self, **vals):
        return self._lead(
            user=self.user_salesman_2, stage_id=self.stage_acquisition.id, **vals
        ).with_env(self.env)

    def test_new_team_follows_the_company(self):
        self.assertTrue(self.env["crm.team"].create({"name": "New team"}).funnel_adopted)
        self.company.funnel_adopted = False
        self.assertFalse(self.env["crm.team"].create({"name": "Newer team"}).funnel_adopted)

    @users("sf_salesman_2")
    def test_advisory_team_shows_checklists_refuses_nothing(self):
        lead = self._advisory_lead()
        self.assertTrue(lead.checklist_blocked, "the Blocked marker shows")
        self.assertEqual((lead.checklist_done_count, lead.checklist_required_count), (0, 2))
        lead.write({"stage_id": self.stage_negotiation.id})
        self.assertEqual(lead.stage_id, self.stage_negotiation, "nothing is refused")
        self.assertEqual(len(lead.stage_history_ids), 2, "the move is in the stage history")
        self.assertTrue(lead.checklist_line_ids.filtered("is_current_stage"))
        lead.action_set_won()
        self.assertEqual(lead.won_status, "won")

    @users("sf_salesman_1")
    def test_adopted_team_refuses_the_same_move(self):
        lead = self._acq_lead()
        with self.assertRaisesRegex(UserError, "Lead screened and contact details verified"):
            lead.write({"stage_id": self.stage_negotiation.id})
        self.assertEqual(lead.stage_id, self.stage_acquisition)

    def test_switch_back_and_forth(self):
        lead = self._advisory_lead().with_user(self.user_salesman_2)
        self.team_2.with_user(self.user_manager).action_funnel_adopt()
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stage_qualification.id})
        self.team_2.with_user(self.user_manager).action_funnel_make_advisory()
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)
        bodies = self.team_2.message_ids.mapped("body")
        self.assertTrue(any("Standard funnel adopted by Funnel Manager" in b for b in bodies))
        self.assertTrue(any("made advisory by Funnel Manager" in b for b in bodies))

    def test_salesman_cannot_switch(self):
        with self.assertRaises(AccessError):
            self.team_2.with_user(self.user_salesman_2).action_funnel_adopt()
        with self.assertRaises(AccessError):
            self.team_1.with_user(self.user_salesman_1).write({"funnel_adopted": False})
        self.assertTrue(self.team_1.funnel_adopted)

    def test_leads_without_team_follow_the_company(self):
        lead = self._lead(stage_id=self.stage_acquisition.id, team_id=False)
        lead = lead.with_user(self.user_salesman_1)
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stage_qualification.id})
        self.company.funnel_adopted = False
        lead.write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)

    def test_moving_into_an_adopted_team_with_the_stage(self):
        lead = self._advisory_lead().with_user(self.user_manager)
        with self.assertRaises(RedirectWarning):  # a manager is offered the override
            lead.write({"stage_id": self.stage_qualification.id, "team_id": self.team_1.id})

    @users("sf_salesman_2")
    def test_handover_rules_wait_for_adoption(self):
        self.company.sudo().handover_required_for_won = True
        lead = self._advisory_lead()
        result = lead.action_set_won_rainbowman()
        self.assertEqual(lead.won_status, "won", "won as without the addon")
        self.assertFalse(isinstance(result, dict) and result.get("res_model"))
        self.assertFalse(lead.get_funnel_handover_action())

    def test_apply_wizard_adopts_teams_and_company(self):
        self.company.funnel_adopted = False
        wizard = self.env["crm.funnel.apply"].with_user(self.user_manager).create({})
        self.assertIn(self.team_2, wizard.team_ids, "the advisory teams are proposed")
        self.assertNotIn(self.team_1, wizard.team_ids, "already adopted")
        self.assertTrue(wizard.adopt_without_team)
        wizard.action_apply()
        self.assertTrue(self.team_2.funnel_adopted)
        self.assertTrue(self.company.funnel_adopted)
        self.assertIn("Standard funnel adopted by Funnel Manager", self.team_2.message_ids[0].body)

    def test_salesman_cannot_apply(self):
        with self.assertRaises(AccessError):
            self.env["crm.funnel.apply"].with_user(self.user_salesman_2).create({})
        self.assertFalse(self.team_2.funnel_adopted)

    def test_pipeline_prompt_for_managers(self):
        Team = self.env["crm.team"]
        prompt = Team.with_user(self.user_manager).get_funnel_adoption_prompt()
        self.assertIn("Funnel Team 2", prompt["message"])
        self.assertNotIn("Funnel Team 1", prompt["message"])
        self.assertEqual(prompt["action"]["res_model"], "crm.funnel.apply")
        self.assertFalse(Team.with_user(self.user_salesman_2).get_funnel_adoption_prompt())
        Team.search([]).funnel_adopted = True
        self.assertIn(
            "leads without a sales team",
            Team.with_user(self.user_manager).get_funnel_adoption_prompt()["message"],
            "Funnel Company 2 is advisory",
        )
        self.env["res.company"].search([]).funnel_adopted = True
        self.assertFalse(Team.with_user(self.user_manager).get_funnel_adoption_prompt())

    def test_no_query_per_lead_on_assignment(self):
        """Core bulk paths (assignment, conversion) on leads nobody scored: changing the
        salesperson costs the addon no query per lead (core's own queries aside)."""
        addon_tables = re.compile(
            r'(FROM|INTO|UPDATE|JOIN)\s+"?(crm_lead_checklist_line|crm_lead_stage_history'
            r"|mail_activity|crm_grade_policy|crm_lead_followup)\b"
        )

        def addon_queries(count):
            leads = self.env["crm.lead"].concat(*(self._advisory_lead() for _i in range(count)))
            self.env.flush_all()
            self.env.invalidate_all()
            leads.mapped("user_id")
            cr = self.env.cr
            execute, seen = cr.execute, []

            def spy(query, params=None, log_exceptions=True):
                seen.append(str(query))
                return execute(query, params, log_exceptions)

            with patch.object(cr, "execute", spy):
                leads.write({"user_id": self.user_manager.id})
                self.env.flush_all()
            return [query for query in seen if addon_tables.search(query)]

        one, five = addon_queries(1), addon_queries(5)
        self.assertEqual(len(five), len(one), "\n".join(five))


class TestNoContextBypass(GatesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_1.funnel_adopted = True

    def test_no_context_key_lets_a_salesman_skip_the_gate(self):
        lead = self._acq_lead()
        for key, value in CONTEXT_KEYS.items():
            with self.subTest(key=key):
                moving = lead.with_user(self.user_salesman_1).with_context(**{key: value})
                with self.assertRaises(UserError):
                    moving.write({"stage_id": self.stage_qualification.id})
                creating = self.env["crm.lead"].with_user(self.user_salesman_1)
                with self.assertRaises(UserError):
                    creating.with_context(**{key: value}).create(
                        {
                            "name": "Created past the gate",
                            "type": "opportunity",
                            "team_id": self.team_1.id,
                            "stage_id": self.stage_won.id,
                        }
                    )
        self.assertEqual(lead.stage_id, self.stage_acquisition)

    def test_all_context_keys_together(self):
        lead = self._acq_lead().with_user(self.user_salesman_1).with_context(**CONTEXT_KEYS)
        with self.assertRaises(UserError):
            lead.write({"stage_id": self.stage_won.id})
        with self.assertRaises(UserError):
            lead.action_set_won()
        self.assertEqual(lead.won_status, "pending")

    def test_no_context_key_skips_the_handover_rule(self):
        self.company.handover_required_for_won = True
        lead = self._lead(stage_id=self.stage_acquisition.id)
        self._make_ready_for_won(lead)
        lead.write({"stage_id": self.stage_negotiation.id})
        for key, value in CONTEXT_KEYS.items():
            with self.subTest(key=key):
                moving = lead.with_user(self.user_salesman_1).with_context(**{key: value})
                with self.assertRaisesRegex(UserError, "Hand the opportunity over"):
                    moving.write({"stage_id": self.stage_won.id})
                with self.assertRaisesRegex(UserError, "Hand the opportunity over"):
                    moving.action_set_won()
        self.assertEqual(lead.won_status, "pending")

    def test_manager_override_is_kept_and_logged(self):
        lead = self._acq_lead()
        lead.with_user(self.user_manager).with_context(
            funnel_gate_force_reason="Customer signed at the first visit"
        ).write({"stage_id": self.stage_qualification.id})
        self.assertEqual(lead.stage_id, self.stage_qualification)
        self.assertTrue(lead.stage_history_ids.filtered("forced"))
        self.assertIn("Customer signed at the first visit", lead.message_ids[0].body)

    def _make_ready_for_won(self, lead):
        lead.write({"expected_revenue": 1000, **self.scores(5, 5, 5, 5)})
        self._complete_checklists(lead)


class TestStageOrderCache(GatesCase):
    def test_folding_a_column_keeps_the_cache(self):
        Stage = self.env["crm.stage"]
        Stage._funnel_stage_order()
        self.stage_discovery.fold = True  # a kanban column folded: not the gate's business
        self.stage_discovery.name = "Discovery (renamed)"
        self.env.flush_all()
        with self.assertQueryCount(0):
            Stage._funnel_stage_order()

    def test_order_fields_clear_the_cache_after_the_write(self):
        Stage = self.env["crm.stage"]
        for vals in (
            {"sequence": 45},
            {"team_ids": [(6, 0, self.team_2.ids)]},
            {"required_for_won": False},
            {"active": False},
        ):
            with self.subTest(vals=vals):
                before = Stage._funnel_stage_order()
                self.stage_discovery.write(vals)
                after = Stage._funnel_stage_order()
                self.assertNotEqual(before, after, "the new order is seen at once")

    def test_apply_folds_the_mapped_stage(self):
        old = self.env["crm.stage"].create({"name": "Old pipeline stage", "sequence": 5})
        self._lead(stage_id=old.id)
        wizard = self.env["crm.funnel.apply"].with_user(self.user_manager).create({})
        wizard.line_ids.filtered(
            lambda line: line.stage_id == old
        ).target_stage_id = self.stage_discovery
        wizard.action_apply()
        self.assertEqual(old.fold_into_id, self.stage_discovery)
        self.team_1.funnel_adopted = False  # the fold, not the gate, is tested here
        later = self._lead(stage_id=old.id, name="Imported later")
        self.assertEqual(later.stage_id, self.stage_discovery, "put into the folded stage")
