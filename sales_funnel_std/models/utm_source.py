from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

# Sources the playbook does not rank come after the ranked ones (003 (一)).
DEFAULT_SOURCE_PRIORITY = 10
# The playbook's channel order: (xml id, name, priority); referral is utm's own source.
PLAYBOOK_SOURCES = (
    ("utm.utm_source_referral", "Referral", 1),
    ("sales_funnel_std.utm_source_exhibition", "Exhibition", 2),
    ("sales_funnel_std.utm_source_online_ads", "Online Ads", 3),
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
        "order: referral 1, exhibition 2, online ads 3, other sources 10.",
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
        """Rank the playbook's sources (at install from noupdate data, at the upgrade to
        19.0.1.1.0 from its migration): an existing source of the same name is reused
        (names are unique), else it is created."""
        IrModelData = self.env["ir.model.data"]
        for xmlid, name, priority in PLAYBOOK_SOURCES:
            source = self.env.ref(xmlid, raise_if_not_found=False)
            if source:
                source.funnel_priority = priority
                continue
            source = self.search([("name", "=ilike", name)], limit=1)
            if source:
                source.funnel_priority = priority
            else:
                source = self.create({"name": name, "funnel_priority": priority})
            # the playbook's sources keep a name the data and the tests can refer to
            IrModelData._update_xmlids([{"xml_id": xmlid, "record": source, "noupdate": True}])
