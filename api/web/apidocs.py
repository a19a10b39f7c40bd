"""/api/docs: Swagger UI for the OpenAPI document, from the vendored swagger-ui-dist (no CDN) and a
set-up script in a file, so the page needs no inline script (CSP: script-src 'self')."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.common import TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "apidocs.html", {"openapi_url": request.app.openapi_url,
                                                                "title": request.app.title})
