from . import funnel_export
