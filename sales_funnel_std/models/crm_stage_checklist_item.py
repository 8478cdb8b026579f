from ast import literal_eval
from collections import defaultdict, namedtuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import frozendict

from .crm_screening_rule import parse_lead_domain

ITEM_KINDS = [
    ("confirm", "Confirmation"),
    ("document", "Document"),
    ("field", "Lead field"),
    ("approval", "Manager approval"),
]
DOCUMENT_ROLES = [
    ("requirements", "Requirements list"),
    ("proposal", "Proposal"),
    ("minutes", "Negotiation minutes"),
]
# An active checklist item as cached for the gate and the stage entry of leads
# (``team_ids``: frozenset, empty = every team; ``domain``: condition literal or False)
FunnelItem = namedtuple("FunnelItem", "id kind required field_name team_ids domain check_on")
CHECK_ON = [
    ("exit", "Leaving the stage"),
    ("entry", "Entering the stage"),
]
# item fields that decide which leads get the item
SCOPE_FIELDS = {"team_ids", "condition_domain"}
# item fields that decide who owns or approves its lines (crm_stage_checklist_item_owner.py)
OWNER_FIELDS = {
    "owner_role",
    "owner_user_id",
    "owner_group_id",
    "deadline_days",
    "approver_role",
    "approver_group_id",
}
# field types that have a meaningful "is set" state
FIELD_ITEM_TYPES = (
    "char",
    "text",
    "html",
    "integer",
    "float",
    "monetary",
    "date",
    "datetime",
    "selection",
    "many2one",
    "many2many",
    "one2many",
    "boolean",
)


class CrmStageChecklistItem(models.Model):
    _name = "crm.stage.checklist.item"
    _description = "Stage Checklist Item"
    _order = "stage_id, sequence, id"

    stage_id = fields.Many2one("crm.stage", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char("Title", required=True, translate=True)
    guidance = fields.Text(
        translate=True, help="How to complete this item (questions to ask, rules to follow)."
    )
    kind = fields.Selection(
        ITEM_KINDS,
        required=True,
        default="confirm",
        help="Confirmation: the salesperson ticks it. Document: a file must be attached. "
        "Lead field: the field must be set on the lead. Manager approval: a sales "
        "manager ticks it.",
    )
    field_id = fields.Many2one(
        "ir.model.fields",
        string="Lead Field",
        ondelete="cascade",
        domain=[("model", "=", "crm.lead"), ("ttype", "in", FIELD_ITEM_TYPES)],
    )
    required = fields.Boolean(default=True)
    check_on = fields.Selection(
        CHECK_ON,
        "Checked When",
        required=True,
        default="exit",
        help="Leaving the stage: the item must be done before a lead moves on (its line "
        "shows in the lead's checklist). Entering the stage: the lead field must be set "
        "before a lead moves into the stage (checked at the move, no line).",
    )
    document_role = fields.Selection(
        DOCUMENT_ROLES,
        help="Named playbook document: the requirements list (客户需求清单), the proposal "
        "(counted in the proposals-submitted targets) or the negotiation minutes (谈判纪要).",
    )
    needs_confirmation = fields.Boolean(
        "Customer Confirmation",
        help="The document counts as done only once the customer contact who confirmed "
        "(requirements list) or signed it (negotiation minutes) and the date are set.",
    )
    template_file = fields.Binary("Template", attachment=True)
    template_filename = fields.Char("Template File Name")
    active = fields.Boolean(default=True)
    # Scope: which leads of the stage get the item (empty: all)
    team_ids = fields.Many2many(
        "crm.team",
        string="Teams",
        help="The item applies only to the leads of these teams (empty: every team).",
    )
    condition_domain = fields.Char(
        "Applies When",
        help="The item applies only to the leads matching this condition (empty: every "
        "lead). Its line appears or disappears when the lead changes.",
    )

    @api.constrains("kind", "field_id")
    def _check_field_id(self):
        for item in self:
            if item.kind != "field":
                continue
            field = item.field_id
            if not field:
                raise ValidationError(
                    _(
                        "The checklist item “%(item)s” checks a lead field: choose it.",
                        item=item.name,
                    )
                )
            if (
                field.model != "crm.lead"
                or field.name not in self.env["crm.lead"]._fields
                or field.ttype not in FIELD_ITEM_TYPES
            ):
                raise ValidationError(
                    _(
                        "The field “%(field)s” cannot be checked by the checklist item "
                        "“%(item)s”: choose an existing field of the lead.",
                        field=field.name,
                        item=item.name,
                    )
                )

    @api.constrains("check_on", "kind")
    def _check_check_on(self):
        for item in self:
            if item.check_on == "entry" and item.kind != "field":
                raise ValidationError(
                    _(
                        "The checklist item “%(item)s” is checked when entering the stage: "
                        "it must check a lead field (a lead has no checklist line of a "
                        "stage before entering it).",
                        item=item.name,
                    )
                )

    @api.constrains("condition_domain")
    def _check_condition_domain(self):
        for item in self:
            try:
                parse_lead_domain(self.env, item.condition_domain)
            except Exception as error:  # any parse or field error comes from user input
                raise ValidationError(
                    _(
                        "The condition of the checklist item “%(item)s” is not a valid "
                        "condition on leads: %(error)s",
                        item=item.name,
                        error=error,
                    )
                ) from error

    @api.constrains("kind", "document_role", "needs_confirmation")
    def _check_document_role(self):
        for item in self:
            if item.kind != "document" and (item.document_role or item.needs_confirmation):
                raise ValidationError(
                    _(
                        "Only document items can be a named document or need a customer "
                        "confirmation (item “%(item)s”).",
                        item=item.name,
                    )
                )

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        self.env.registry.clear_cache()  # _funnel_items_by_stage
        items._funnel_add_lines_to_current_leads()
        return items

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()  # _funnel_items_by_stage
        if vals.get("active") or "stage_id" in vals or SCOPE_FIELDS & set(vals):
            self._funnel_add_lines_to_current_leads()
        elif OWNER_FIELDS & set(vals):
            self._funnel_owner_changed()
        if "check_on" in vals:
            # sudo: entry items have no lines; the lines of every lead follow their item
            self.env["crm.lead.checklist.line"].sudo().search(
                [("item_id", "in", self.filtered(lambda i: i.check_on == "entry").ids)]
            ).unlink()
            self._funnel_add_lines_to_current_leads()
        if {"kind", "field_id", "needs_confirmation", "required", "active"} & set(vals):
            # sudo: the lines of every lead follow their item, whoever can see them
            lines = self.env["crm.lead.checklist.line"].sudo().search([("item_id", "in", self.ids)])
            for item in self:
                item_lines = lines.filtered(lambda line, item=item: line.item_id == item)
                # an archived item no longer counts in the progress (nor in the gate)
                item_lines.write({"kind": item.kind, "required": item.required and item.active})
            lines._funnel_refresh_done()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _funnel_items_by_stage
        return res

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _funnel_items_by_stage(self):
        """``{stage id: (FunnelItem, ...)}`` of the active items in checklist order, for
        the gate and the stage entry of leads (no query per move). Cached
        registry-wide; any item change clears it. Read-only."""
        # sudo: checklist configuration, no user data
        rows = defaultdict(list)
        # explicit domain: the cached result must not depend on the caller's active_test
        for item in self.sudo().search([("active", "=", True)]):
            condition = item.condition_domain
            if condition and Domain(literal_eval(condition)).is_true():
                condition = False  # "[]" from the domain editor: every lead
            rows[item.stage_id.id].append(
                FunnelItem(
                    item.id,
                    item.kind,
                    item.required,
                    item.field_id.name or False,
                    frozenset(item.team_ids.ids),
                    condition or False,
                    item.check_on,
                )
            )
        return frozendict({stage_id: tuple(items) for stage_id, items in rows.items()})

    @api.model
    @tools.ormcache()
    def _funnel_scope_field_names(self):
        """Lead fields whose change can make a scoped item apply or not (the first
        field of each condition's paths, ``team_id`` for team-scoped items)."""
        names = set()
        for items in self._funnel_items_by_stage().values():
            for item in items:
                if item.team_ids:
                    names.add("team_id")
                if item.domain:
                    names.update(
                        condition.field_expr.split(".")[0]
                        for condition in Domain(literal_eval(item.domain)).iter_conditions()
                    )
        return frozenset(names)

    @api.model
    def _funnel_inapplicable_pairs(self, leads, items):
        """``{(lead id, item id)}`` of the scoped ``items`` (FunnelItem) that do not apply
        to ``leads``. Teams from the cache (no query); one search per distinct
        condition among the items, none when no item has one."""
        scoped = [item for item in items if item.team_ids or item.domain]
        if not scoped or not leads:
            return set()
        matching = {}
        for text in {item.domain for item in scoped if item.domain}:
            # sudo, no active_test: applicability of the configuration to the leads being
            # written, whatever the writer's record rules; only ids are read
            matching[text] = set(
                self.env["crm.lead"]
                .sudo()
                .with_context(active_test=False)
                .search(Domain("id", "in", leads.ids) & Domain(literal_eval(text)))
                .ids
            )
        return {
            (lead.id, item.id)
            for lead in leads
            for item in scoped
            if (item.team_ids and lead.team_id.id not in item.team_ids)
            or (item.domain and lead.id not in matching[item.domain])
        }

    @api.model
    def _funnel_field_set(self, lead, fname, vals=None):
        """Is the field ``fname`` of ``lead`` set (field items, evaluated live).

        ``vals``: values about to be written with the move (a form saving the field
        and the stage together), taken instead of the current value.
        """
        if not fname or fname not in lead._fields:
            return False
        field = lead._fields[fname]
        if vals and fname in vals and field.type not in ("one2many", "many2many"):
            return bool(vals[fname])
        return bool(lead[fname])

    def _is_set_on(self, lead, vals=None):
        """Field items: is the lead field set (evaluated live)."""
        self.ensure_one()
        return self._funnel_field_set(lead, self.field_id.name, vals)

    def _funnel_add_lines_to_current_leads(self):
        """Items added to a stage later: lines for the leads currently in it (batched)."""
        items = self.filtered("active")
        if not items:
            return
        # sudo: lines must exist for every lead in the stage, not only those the
        # configuring manager can see; only checklist lines are created
        leads = (
            self.env["crm.lead"]
            .sudo()
            .with_context(active_test=False)
            .search([("stage_id", "in", items.stage_id.ids)])
        )
        if leads:
            leads._funnel_create_stage_lines(items=items)
