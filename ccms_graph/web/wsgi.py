"""The WSGI entry point gunicorn serves: `ccms_graph.web.wsgi:app` (logs as JSON lines: `ccms_graph.logs`)."""

from .. import logs
from . import create_app

logs.configure()
app = create_app()
