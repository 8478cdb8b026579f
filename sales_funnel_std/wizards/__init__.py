from . import crm_bndu_rules
