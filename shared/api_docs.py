"""The API documentation every service serves at ``/docs``, with no file from the internet.

Litestar's render plugins load their scripts from public CDNs by default, which leaves the
docs blank offline; here Swagger UI's files come from ``shared/docs_ui/`` (vendored by
``assets/build.py``) under ``/docs/assets/``. ``/docs`` and ``/docs/swagger`` show Swagger
UI; ``/docs/openapi.json`` and ``/docs/openapi.yaml`` are the document itself.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

DOCS_UI = Path(__file__).resolve().parent / "docs_ui"
ASSETS_PATH = "/docs/assets"
# An inline icon: without one the browser asks for /favicon.ico, and Litestar's default is a CDN link.
FAVICON = (
    "<link rel='icon' href='data:image/svg+xml,"
    "<svg xmlns=%22http://www.w3.org/2000/svg%22 viewBox=%220 0 16 16%22>"
    "<circle cx=%228%22 cy=%228%22 r=%227%22 fill=%22%23245%22/></svg>'>"
)


def render_plugins() -> list:
    return [
        SwaggerRenderPlugin(
            path=["/", "/swagger"],
            favicon=FAVICON,
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        ),
        JsonRenderPlugin(),
        YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
    ]


def assets_router() -> Router:
    """Swagger UI's files, cached for a day (they change only with a new Dateline)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[DOCS_UI],
        name="docs_assets",
        cache_control=CacheControlHeader(max_age=86_400, public=True),
    )
