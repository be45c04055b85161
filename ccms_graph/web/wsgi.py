"""The WSGI entry point gunicorn serves: `ccms_graph.web.wsgi:app`."""

from . import create_app

app = create_app()
