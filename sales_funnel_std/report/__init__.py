from . import crm_funnel_report
from . import crm_funnel_target_progress
from . import crm_funnel_forecast
from . import crm_grade_calibration
from . import crm_objection_report
from . import crm_funnel_dashboard
