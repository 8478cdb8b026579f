from . import crm_lead_handover
