from . import crm_lead_gate_override, crm_funnel_apply
