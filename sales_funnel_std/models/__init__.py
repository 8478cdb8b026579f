from . import crm_lead, res_company, res_config_settings
