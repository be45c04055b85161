"""Page blueprints, one per area of the browser UI; `web.create_app` registers them all."""

from __future__ import annotations

from .admin import bp as admin_bp
from .cases import bp as cases_bp
from .dashboard import bp as dashboard_bp
from .documents import bp as documents_bp
from .explorer import bp as explorer_bp
from .geo import bp as geo_bp
from .imports import bp as imports_bp
from .queries import bp as queries_bp
from .records import bp as records_bp
from .search import bp as search_bp
from .telecom import bp as telecom_bp
from .work import bp as work_bp

BLUEPRINTS = (search_bp, cases_bp, records_bp, explorer_bp, work_bp, queries_bp, imports_bp, admin_bp,
               dashboard_bp, geo_bp, telecom_bp, documents_bp)
