from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

# Sources the playbook does not rank come after the ranked ones (003 (一)).
DEFAULT_SOURCE_PRIORITY = 10
# The playbook's channel order: (our xml id, a source of another module to reuse, name,
# priority); referral is utm's own source. Repurchase (post-sale care, 001 §6) ranks with
# referral: an existing customer's own stated need is the warmest lead there is.
PLAYBOOK_SOURCES = (
    ("sales_funnel_std.utm_source_referral", "utm.utm_source_referral", "Referral", 1),
    ("sales_funnel_std.utm_source_repurchase", None, "Repurchase", 1),
    ("sales_funnel_std.utm_source_exhibition", None, "Exhibition", 2),
    ("sales_funnel_std.utm_source_online_ads", None, "Online Ads", 3),
)


class UtmSource(models.Model):
    _inherit = "utm.source"
    _order = "funnel_priority, name, id"

    funnel_priority = fields.Integer(
        "Lead Priority",
        default=DEFAULT_SOURCE_PRIORITY,
        required=True,
        index=True,
        help="Rank of the channel in lead intake: 1 is the highest priority. Playbook "
        "order: referral and repurchase 1, exhibition 2, online ads 3, other sources 10.",
    )

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._funnel_check_priority(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._funnel_check_priority(vals)
        return super().write(vals)

    @api.model
    def _funnel_check_priority(self, vals):
        priority = vals.get("funnel_priority")
        if priority is None:
            return
        if not self.env.su and not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only sales managers can change the lead priority of a source."))
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            raise ValidationError(
                _(
                    "The lead priority of a source must be a whole number of 1 or more "
                    "(got %(value)r).",
                    value=priority,
                )
            )

    @api.model
    def _funnel_install_sources(self):
        """Rank the playbook's sources once (data of every install and upgrade, before
        the demo data): a source already ranked (it has our xml id) is left as the admin
        set it; otherwise utm's own source or one of the same name is reused (names are
        unique), else it is created, then ranked and given our xml id."""
        IrModelData = self.env["ir.model.data"]
        for xmlid, reuse_xmlid, name, priority in PLAYBOOK_SOURCES:
            if self.env.ref(xmlid, raise_if_not_found=False):
                continue
            source = (reuse_xmlid and self.env.ref(reuse_xmlid, raise_if_not_found=False)) or (
                self.search([("name", "=ilike", name)], limit=1)
            )
            if source:
                source.funnel_priority = priority
            else:
                source = self.create({"name": name, "funnel_priority": priority})
            IrModelData._update_xmlids([{"xml_id": xmlid, "record": source, "noupdate": True}])

    @api.model
    def _care_source(self, origin):
        """The source of an opportunity created from a care visit: Repurchase or Referral."""
        xmlid = {
            "repurchase": "sales_funnel_std.utm_source_repurchase",
            "referral": "sales_funnel_std.utm_source_referral",
        }[origin]
        # sudo: sources are shared configuration, any salesperson's opportunity uses them
        return self.sudo().env.ref(xmlid, raise_if_not_found=False) or self.browse()
