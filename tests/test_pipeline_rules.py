from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import Form, users

from .common_gates import GatesCase

SKIP_REFUSED = (
    "The stage cannot change: the move breaks the pipeline rules:\n"
    "• Ruled lead — Qualification: this stage cannot be skipped"
)


class TestPipelineRules(GatesCase):
    """Per-stage pipeline rules (HubSpot-like), enforced with the gate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_manager = cls.env.ref("sales_team.group_sale_manager")

    def _ready_lead(self, user=None, name="Ruled lead"):
        """A lead in Lead acquisition whose every checklist is done: only rules block it."""
        lead = self._acq_lead(user=user, name=name)
        self._complete_checklists(lead)
        lead.sudo().write(self.scores(4, 4, 4, 4))
        return lead

    def _history_count(self, lead):
        return self.env["crm.lead.stage.history"].sudo().search_count([("lead_id", "=", lead.id)])

    # ------------------------------------------------------------------ skip

    @users("sf_salesman_1")
    def test_no_skip_refuses_a_jump_and_writes_nothing(self):
        self.stage_qualification.sudo().funnel_no_skip = True
        lead = self._ready_lead()
        rows = self._history_count(lead)
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_discovery.id})
        self.assertEqual(str(err.exception), SKIP_REFUSED)
        self.env.invalidate_all()
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        self.assertEqual(self._history_count(lead), rows, "no history row written")
        # through the stage: allowed
        lead.write({"stage_id": self.stage_qualification.id})
        lead.write({"stage_id": self.stage_discovery.id})
        self.assertEqual(lead.stage_id, self.stage_discovery)

    @users("sf_salesman_1")
    def test_no_skip_also_guards_won_and_create(self):
        self.stage_proposal.sudo().funnel_no_skip = True
        lead = self._ready_lead()
        lead.write({"expected_revenue": 1000})
        with self.assertRaises(UserError) as err:
            lead.action_set_won()
        self.assertIn("— Solution & proposal: this stage cannot be skipped", str(err.exception))
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        with self.assertRaises(UserError) as err:
            self.env["crm.lead"].create(
                {
                    "name": "Created late",
                    "type": "opportunity",
                    "team_id": self.team_1.id,
                    "stage_id": self.stage_negotiation.id,
                }
            )
        self.assertIn(
            "• Created late — Solution & proposal: this stage cannot be skipped",
            str(err.exception),
        )

    @users("sf_salesman_1")
    def test_import_respects_the_rules(self):
        self.stage_acquisition.sudo().funnel_no_skip = True
        # the rule of the first stage bites only leads created after it
        Lead = self.env["crm.lead"].with_context(import_file=True)
        result = Lead.load(
            ["name", "type", "stage_id/id"],
            [["Imported late", "opportunity", "sales_funnel_std.crm_stage_qualification"]],
        )
        errors = [m["message"] for m in result["messages"] if m["type"] == "error"]
        self.assertFalse(result["ids"])
        self.assertTrue(
            any(
                "Imported late — Lead acquisition: this stage cannot be skipped" in m
                for m in errors
            ),
            errors,
        )

    # ------------------------------------------------------------------ backward

    @users("sf_salesman_1")
    def test_no_backward_refuses_moving_back(self):
        self.stage_acquisition.sudo().funnel_no_backward = True
        lead = self._ready_lead()
        lead.write({"stage_id": self.stage_qualification.id})
        with self.assertRaises(UserError) as err:
            lead.write({"stage_id": self.stage_acquisition.id})
        self.assertEqual(
            str(err.exception),
            "The stage cannot change: the move breaks the pipeline rules:\n"
            "• Ruled lead — Lead acquisition: leads cannot move back into this stage",
        )
        self.assertEqual(lead.stage_id, self.stage_qualification)
        # other stages can still be moved back into; lost is always allowed
        lead.write({"stage_id": self.stage_discovery.id})
        lead.write({"stage_id": self.stage_qualification.id})
        lead.action_set_lost()
        self.assertFalse(lead.active)

    # ------------------------------------------------------------------ exit group

    @users("sf_salesman_1")
    def test_exit_group_refuses_salesman_even_with_context_or_sudo(self):
        self.stage_acquisition.sudo().funnel_exit_group_id = self.group_manager
        lead = self._ready_lead()
        expected = (
            "The stage cannot change: the move breaks the pipeline rules:\n"
            "• Ruled lead — Lead acquisition: only members of Sales / Administrator can "
            "move leads out of this stage"
        )
        for attempt in (
            lead,
            lead.with_context(funnel_gate_force_reason="I want to"),
            lead.sudo().with_context(funnel_gate_force_reason="sudo"),
            lead.with_context(import_file=True, tracking_disable=True, install_mode=True),
        ):
            with self.assertRaises(UserError) as err:
                attempt.write({"stage_id": self.stage_qualification.id})
            self.assertEqual(str(err.exception), expected)
        # RPC write as the salesman (what the web client's save and kanban drag call)
        with self.assertRaises(UserError):
            lead.web_save({"stage_id": self.stage_qualification.id}, {})
        self.env.invalidate_all()
        self.assertEqual(lead.stage_id, self.stage_acquisition)
        self.assertFalse(lead.stage_history_ids.filtered("forced"))

    @users("sf_manager")
    def test_exit_group_member_moves_and_manager_override_is_logged(self):
        self.stage_acquisition.sudo().funnel_exit_group_id = self.env.ref("base.group_system")
        self.stage_qualification.sudo().funnel_no_skip = True
        lead = self._ready_lead(user=self.user_manager)
        with self.assertRaises(RedirectWarning) as err:
            lead.write({"stage_id": self.stage_discovery.id})
        message = err.exception.args[0]
        self.assertIn("— Lead acquisition: only members of Role / Administrator", message)
        self.assertIn("— Qualification: this stage cannot be skipped", message)
        action = err.exception.args[1]
        self.assertEqual(action["res_model"], "crm.lead.gate.override")
        wizard = Form(self.env["crm.lead.gate.override"].with_context(action["context"]))
        self.assertIn("Qualification: this stage cannot be skipped", wizard.missing_items)
        wizard.reason = "Board decision"
        wizard.save().action_confirm()
        self.assertEqual(lead.stage_id, self.stage_discovery)
        row = lead.stage_history_ids.filtered(lambda h: not h.date_out)
        self.assertTrue(row.forced)
        self.assertEqual(row.force_reason, "Board decision")
        self.assertEqual(
            row.missing_items,
            "Lead acquisition: only members of Role / Administrator can move leads out "
            "of this stage\nQualification: this stage cannot be skipped",
        )
        log = lead.message_ids.filtered(lambda m: "Board decision" in m.body)
        self.assertEqual(len(log), 1)
        self.assertIn("this stage cannot be skipped", log.body)
        # an administrator (member of the group) moves out of the stage freely
        other = self._ready_lead(user=self.user_manager, name="Admin moved")
        other.with_user(self.user_admin).write({"stage_id": self.stage_qualification.id})
        self.assertEqual(other.stage_id, self.stage_qualification)

    # ------------------------------------------------------------------ scope

    def test_rules_apply_only_to_adopted_teams_and_the_stage_teams(self):
        self.stage_qualification.funnel_no_skip = True
        self.team_1.funnel_adopted = False
        lead = self._ready_lead()
        lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_discovery.id})
        self.assertEqual(lead.stage_id, self.stage_discovery, "advisory team: no rule")
        # a team-specific stage's rule only binds that team's leads
        self.team_1.funnel_adopted = True
        self.stage_proposal.write({"funnel_no_skip": True, "team_ids": [(6, 0, self.team_2.ids)]})
        lead.with_user(self.user_salesman_1).write({"stage_id": self.stage_negotiation.id})
        self.assertEqual(lead.stage_id, self.stage_negotiation)

    # ------------------------------------------------------------------ bad config

    def test_exit_group_without_users_refused(self):
        empty = self.env["res.groups"].create({"name": "Nobody"})
        stage = self.stage_acquisition
        with self.assertRaises(ValidationError) as err:
            stage.funnel_exit_group_id = empty
        self.assertEqual(
            str(err.exception),
            "Only members of the group Nobody could move leads out of the stage Lead "
            "acquisition, but the group has no active internal user: no lead could ever "
            "leave the stage. Choose a group with users or leave it empty.",
        )
        self.env.invalidate_all()
        self.assertFalse(stage.funnel_exit_group_id)

    @users("sf_salesman_1")
    def test_salesman_cannot_change_the_rules(self):
        stage = self.stage_qualification.with_env(self.env)
        with self.assertRaises(AccessError):
            stage.write({"funnel_no_skip": True})
        self.assertFalse(stage.funnel_no_skip)

    # ------------------------------------------------------------------ cost

    def test_rules_cost_no_query(self):
        """The rules are read from the cached pipeline order: a batch move costs the
        same queries with rules as without (see test_gates' budget)."""
        self.stage_qualification.funnel_no_skip = True
        self.stage_acquisition.funnel_no_backward = True
        self.stage_acquisition.funnel_exit_group_id = self.env.ref("sales_team.group_sale_salesman")
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": f"Perf {i}",
                    "type": "opportunity",
                    "user_id": self.user_salesman_1.id,
                    "team_id": self.team_1.id,
                    "stage_id": self.stage_acquisition.id,
                }
                for i in range(200)
            ]
        )
        self._complete_checklists(leads, self.stage_acquisition)
        warmup, batch = leads[:2], leads[2:]
        warmup = warmup.with_user(self.user_salesman_1).with_context(tracking_disable=True)
        warmup.write({"stage_id": self.stage_qualification.id})
        self.env.flush_all()
        self.env.invalidate_all()
        batch = batch.with_user(self.user_salesman_1).with_context(tracking_disable=True)
        with self.assertQueryCount(21):
            batch.write({"stage_id": self.stage_qualification.id})
            self.env.flush_all()
        self.assertEqual(set(batch.mapped("stage_id")), {self.stage_qualification})
