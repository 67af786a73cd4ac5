"""The coordinators' web console: Starlette + server-rendered Jinja2 templates, no build step.

`create_app(services)` (app.py) is the ASGI app; `server.py` runs it with uvicorn inside
the bot's event loop (`gcmbot run` with GCMBOT_WEB_PORT) or alone (`gcmbot web`).
Like `bot/` and `cli/`, it is a front end: it calls services, never the store.
"""
