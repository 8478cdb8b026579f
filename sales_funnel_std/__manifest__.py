{
    "name": "Sales Funnel Standard (BNDU playbook)",
    "summary": "BNDU lead qualification, grade-driven follow-up, stage gates, "
    "won-deal handover and funnel analytics for the CRM pipeline",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "sales_funnel_std contributors",
    "website": "https://github.com/sales-funnel-std/sales_funnel_std",
    "depends": ["crm", "project", "mail"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [],
    "images": ["static/description/icon.png"],
    "pre_init_hook": "pre_init_hook",
    "installable": True,
    "application": False,
}
