"""What the web client asks for when it opens the CRM pipeline, for view-level ops.

``kanban_specification(env)`` builds the ``web_search_read`` specification the web
client sends for the crm.lead kanban cards, from the kanban arch as it is rendered
for ``env.user`` (so fields added by inherited views, the addon's included, are read
too). ``pipeline_domain(env, mine)`` is the pipeline action's domain ("My Pipeline"
filter when ``mine``).
"""

from lxml import etree

RELATIONAL = ("many2one", "many2many", "one2many")


def kanban_specification(env, model="crm.lead", view_type="kanban"):
    views = env[model].get_views([(False, view_type)])
    arch = etree.fromstring(views["views"][view_type]["arch"])
    fields_info = views["models"][model]["fields"]
    spec = {}
    for node in arch.iter("field"):
        fname = node.get("name")
        if fname not in fields_info or fname in spec:
            continue
        field_type = fields_info[fname]["type"]
        if field_type in RELATIONAL:
            spec[fname] = {"fields": {"display_name": {}}}
        else:
            spec[fname] = {}
    return spec


def pipeline_domain(env, mine=False):
    domain = [("type", "=", "opportunity")]
    if mine:
        domain.append(("user_id", "=", env.uid))
    return domain


def open_pipeline(env, limit=80, mine=False, view_type="kanban"):
    """One kanban/list load as the web client does it; returns the number of records."""
    spec = kanban_specification(env, view_type=view_type)
    result = env["crm.lead"].web_search_read(
        pipeline_domain(env, mine), spec, limit=limit, count_limit=10001
    )
    return len(result["records"])
