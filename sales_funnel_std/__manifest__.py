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
        "security/ir.model.access.csv",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_bndu_rules_views.xml",
    ],
    "demo": [],
    "images": ["static/description/icon.png"],
    "installable": True,
    "application": False,
}
