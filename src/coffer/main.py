"""create_app(): the FastAPI factory mounting the API and page routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from coffer import __version__
from coffer.audit import api as audit_api
from coffer.audit import pages as audit_pages
from coffer.auth import api as auth_api
from coffer.auth import pages as auth_pages
from coffer.budgets import (
    api_bills,
    api_budgets,
    api_forecast,
    api_goals,
    api_notifications,
    pages_bills,
    pages_budgets,
    pages_forecast,
    pages_goals,
    pages_notifications,
)
from coffer.config import Settings, get_settings
from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.imports import api as imports_api
from coffer.imports import pages as imports_pages
from coffer.imports import pages_rules as rules_pages
from coffer.ledger import api as ledger_api
from coffer.ledger import pages_accounts, pages_categories, pages_transactions
from coffer.reports import api as reports_api
from coffer.reports import api_exports
from coffer.reports import api_statements as statements_api
from coffer.reports import pages as reports_pages
from coffer.reports import pages_statements as statements_pages
from coffer.social import api_calculators as social_calculators
from coffer.tenancy import api as tenancy_api
from coffer.tenancy import pages as tenancy_pages
from coffer.web import docs, health
from coffer.web.errors import install_error_handlers
from coffer.web.logging import configure_logging
from coffer.web.middleware import install_middleware
from coffer.web.ratelimit import build_rate_limiter
from coffer.web.runtime import lifespan
from coffer.web.templating import init_templates, render_error_page

PACKAGE_DIR = Path(__file__).resolve().parent

# Each capability with pages adds its templates folder here.
TEMPLATE_DIRS = [
    PACKAGE_DIR / "web" / "templates",
    PACKAGE_DIR / "auth" / "templates",
    PACKAGE_DIR / "tenancy" / "templates",
    PACKAGE_DIR / "audit" / "templates",
    PACKAGE_DIR / "ledger" / "templates",
    PACKAGE_DIR / "imports" / "templates",
    PACKAGE_DIR / "reports" / "templates",
    PACKAGE_DIR / "budgets" / "templates",
]


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    configure_encryption(settings.resolved_encryption_keys())

    app = FastAPI(
        title="Coffer",
        version=__version__,
        docs_url=None,  # served by coffer.web.docs from vendored files (CSP)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.resolved_database_url)
    app.state.rate_limiter = build_rate_limiter(settings)
    init_templates(app, TEMPLATE_DIRS)
    app.state.html_error_renderer = render_error_page

    install_error_handlers(app)
    install_middleware(app, settings)

    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")
    app.include_router(health.router)
    app.include_router(docs.router)
    for api in (auth_api, tenancy_api, audit_api, ledger_api, imports_api):
        app.include_router(api.router, prefix="/api/v1")
    app.include_router(reports_api.router, prefix="/api/v1")
    app.include_router(api_exports.router, prefix="/api/v1")
    app.include_router(statements_api.router, prefix="/api/v1")
    for api in (api_budgets, api_bills, api_goals, api_forecast, api_notifications):
        app.include_router(api.router, prefix="/api/v1")
    app.include_router(social_calculators.router, prefix="/api/v1")
    for pages in (
        auth_pages,
        tenancy_pages,
        audit_pages,
        pages_accounts,
        pages_transactions,
        pages_categories,
        imports_pages,
        rules_pages,
        reports_pages,
        statements_pages,
        pages_budgets,
        pages_bills,
        pages_goals,
        pages_forecast,
        pages_notifications,
    ):
        app.include_router(pages.router)
    return app
