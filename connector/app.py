"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from connector.bootstrap import Container, bootstrap
from connector.config import Settings

log = logging.getLogger(__name__)


def create_app(config: Settings | None = None, *, container: Container | None = None) -> Flask:
    """Build the app around a container (built from ``config`` or the environment when not given)."""
    if container is None:  # gunicorn 'connector.app:create_app()': settings from the environment
        from connector.config import load_settings
        from connector.logs import configure

        settings = (config or load_settings()).require("secret_key", "shopify_api_secret", "api_token")
        configure(settings.log_level, fmt=settings.log_format)
        from connector.observability import init_sentry

        init_sentry(settings, component="web")
        container = bootstrap(settings, start_workers=True)
    app = Flask("connector")
    app.extensions["connector"] = container

    from connector.api import bp as api_bp
    from webhooks.customer import bp as customer_bp
    from webhooks.shopify import bp as shopify_bp
    from webhooks.woocommerce import bp as woocommerce_bp

    app.register_blueprint(shopify_bp)
    app.register_blueprint(woocommerce_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(customer_bp)
    from webhooks.customer_page import bp as customer_page_bp

    app.register_blueprint(customer_page_bp)  # the customer's order page, /orders/<token>
    from webhooks.install import bp as install_bp

    app.register_blueprint(install_bp)
    from webhooks.ratelimit import limit_install_endpoints

    limit_install_endpoints(app, container.settings)  # the @rate_limited install and connect views
    from webhooks.fulfillment_service import bp as fulfillment_service_bp

    app.register_blueprint(fulfillment_service_bp)
    from webhooks.woocommerce_privacy import bp as woocommerce_privacy_bp

    app.register_blueprint(woocommerce_privacy_bp)  # WordPress's exporter and eraser, via the plugin
    from webhooks.supplier_push import bp as supplier_push_bp

    app.register_blueprint(supplier_push_bp)  # suppliers that push their changes (connector/supply/push.py)
    from connector.merchant import blueprint as merchant_blueprint

    app.register_blueprint(merchant_blueprint())  # the merchant's app at /app (connector/merchant)
    from connector.merchant.job_runs import EXTENSION as MERCHANT_JOBS
    from jobs.merchant import Launcher

    app.extensions[MERCHANT_JOBS] = Launcher(container)  # the Jobs page's "run now" (a feature never imports jobs)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        return jsonify({"error": error.description}), error.code or 500

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return jsonify({"error": "internal error"}), 500

    return app
