"""The OpenAPI explorer at /api/docs, served entirely from Coffer itself.

FastAPI's default page loads Swagger UI from a CDN and starts it with an inline
script; both are refused by Coffer's Content-Security-Policy (script-src 'self'), and
a self-hosted install may have no internet at all. So Swagger UI is vendored under
static/vendor/swagger-ui (pinned in its manifest) and started by a small script
served from this router. The page therefore runs under the same strict policy as
every other page. fastapi.openapi.docs.get_swagger_ui_html is not used because it
always emits that inline script.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/api/docs"
INIT_SCRIPT_PATH = "/api/docs/swagger-init.js"
VENDOR = "/static/vendor/swagger-ui"

# Reads the OpenAPI URL from the page, so the script is static and cacheable.
INIT_SCRIPT = """\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
"""

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{root}{vendor}/swagger-ui.css">
<link rel="icon" href="{root}/static/img/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{root}{vendor}/swagger-ui-bundle.js"></script>
<script src="{root}{init}"></script>
</body>
</html>
"""


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    openapi_url = request.app.openapi_url or "/api/openapi.json"
    return HTMLResponse(
        PAGE.format(
            title=escape(f"{request.app.title} API"),
            root=escape(root),
            vendor=VENDOR,
            init=INIT_SCRIPT_PATH,
            openapi_url=escape(root + openapi_url),
        )
    )


@router.get(INIT_SCRIPT_PATH)
async def swagger_init() -> Response:
    return Response(
        INIT_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600"},
    )
