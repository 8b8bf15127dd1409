"""The Cluster Portal application factory."""
from urllib.parse import urlsplit

from apiflask import APIFlask
from werkzeug.routing import IntegerConverter

from config import Config
from portal import error_reporting, web
from portal.i18n import TranslatedTemplates

MAX_ID = 2**31 - 1  # the largest PostgreSQL `integer`, the type of every primary key


class IdConverter(IntegerConverter):
    """`<int:...>` in our URLs is always a row id: a larger number is a 404, not an integer overflow in
    the database (SQLite: "Python int too large", PostgreSQL: "bigint out of range")."""

    def __init__(self, map, *args, **kwargs):  # werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class PortalFlask(APIFlask):
    """APIFlask builds the API's OpenAPI document from the schemas that validate its input (portal/api/).
    Set up to change nothing for the pages: no JSON error pages (json_errors=False), no routes of its
    own (the document and the reference page are portal.api's), only APIBlueprint routes documented.
    Templates are compiled for each language with their constant texts translated (portal.i18n.TranslatedTemplates).
    """

    jinja_environment = TranslatedTemplates

    def __init__(self, import_name, **kwargs):
        super().__init__(import_name, title="Cluster Portal API", version="1", spec_path=None, docs_path=None,
                         docs_oauth2_redirect_path=None, json_errors=False, **kwargs)

    def _collect_security_info(self):
        """APIFlask 3.1.2 reads `enable_openapi` from every blueprint with before_request functions, which
        only its own APIBlueprint has: the pages' plain blueprints are marked as not documented."""
        for blueprint in self.blueprints.values():
            if not hasattr(blueprint, "enable_openapi"):
                blueprint.enable_openapi = False
        return super()._collect_security_info()

    def create_url_adapter(self, request):
        """Outside a request (a worker building an e-mail, a CLI job), URLs are built for the configured
        PORTAL_BASE_URL: no fake request, and never a client's Host header."""
        adapter = super().create_url_adapter(request)
        if adapter is None and request is None and self.config.get("PORTAL_BASE_URL"):
            from portal.links import base_adapter

            adapter = base_adapter(self)
        return adapter


def create_app(config_class=Config):
    """Build the app: configuration, extensions, blueprints, template helpers, commands, error pages."""
    app = PortalFlask(__name__, template_folder="../templates", instance_relative_config=False)
    app.url_map.converters["int"] = IdConverter
    app.config.from_object(config_class)
    if not (app.debug or app.testing):
        config_class.check()
        if app.config.get("TRUSTED_HOSTS") is None:  # production answers to its own host name only
            app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["PORTAL_BASE_URL"]).hostname]
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_commands(app)
    register_error_handlers(app)
    register_jobs(app)
    web.init_app(app)  # proxy, security headers, static caching, request ids, logs
    error_reporting.init_app(app)  # Sentry, only when SENTRY_DSN is set
    from portal import pagecache

    pagecache.init_app(app)  # last: public pages kept until the data changes (its look-up runs after every hook)
    return app


def register_extensions(app):
    from portal import db as _db  # noqa: F401  (registers the SQLite connection pragmas)
    from portal.auth.services import load_user
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
    from portal.i18n import select_locale

    db.init_app(app)
    from portal.db import end_read_only_request, ping_when_idle
    with app.app_context():
        ping_when_idle(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    app.teardown_request(end_read_only_request)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    limiter.init_app(app)
    from portal import wtforms_i18n

    wtforms_i18n.init_app(app)
    _import_models()
    from portal import permissions
    from portal.admin import rollup
    from portal.search import vocabulary

    permissions.init_app(app)  # rules re-read their viewer's facts after a change
    from portal.notifications import services as notifications

    notifications.init_app(app)  # the unread badge counts again after notifications change
    rollup.init_app(app)  # keeps the results counted as memberships change, once per transaction
    vocabulary.init_app(app)  # the words of firms and requests, for "did you mean"
    from portal.devices import views as devices

    devices.init_app(app)  # a device session's last-seen time, written after the page at most every few minutes
    from portal.metrics import instruments as metrics

    metrics.init_app(app)  # request counts, latency and SQL queries per request for /metrics


def _import_models():
    """Every model module (and the services that register notification kinds), so that metadata is
    complete for migrations and queries."""
    from portal import audit as _audit  # noqa: F401
    from portal import pagecache as _pagecache  # noqa: F401
    from portal.admin import models as _results  # noqa: F401
    from portal.api import models as _api  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.clusters import models as _clusters  # noqa: F401
    from portal.collab import models as _collab  # noqa: F401
    from portal.collab import services as _collab_services  # noqa: F401
    from portal.devices import models as _devices  # noqa: F401
    from portal.events import meetings as _events_meetings  # noqa: F401  (its notification kind)
    from portal.events import models as _events  # noqa: F401
    from portal.events import scheduling as _events_scheduling  # noqa: F401
    from portal.events import services as _events_services  # noqa: F401
    from portal.firms import models as _firms  # noqa: F401
    from portal.following import alerts as _alerts  # noqa: F401  (its notification kind)
    from portal.following import fanout as _fanout  # noqa: F401  (its notification kinds)
    from portal.following import models as _following  # noqa: F401
    from portal.glossary import models as _glossary  # noqa: F401
    from portal.jobs import models as _jobs  # noqa: F401
    from portal.line import messaging as _line_messaging  # noqa: F401  (the outbox's "line" channel)
    from portal.line import models as _line  # noqa: F401
    from portal.media import models as _media  # noqa: F401
    from portal.memberships import imports as _imports  # noqa: F401
    from portal.memberships import models as _member_imports  # noqa: F401
    from portal.memberships import services as _memberships  # noqa: F401
    from portal.moderation import models as _moderation  # noqa: F401
    from portal.moderation import services as _moderation_services  # noqa: F401
    from portal.mydata import models as _mydata  # noqa: F401
    from portal.mydata import services as _mydata_services  # noqa: F401  (its notification kind and e-mails)
    from portal.notifications import models as _notifications  # noqa: F401
    from portal.outbox import models as _outbox  # noqa: F401
    from portal.privacy import models as _privacy  # noqa: F401
    from portal.search import vocabulary as _vocabulary  # noqa: F401
    from portal.twofactor import emails as _twofactor_emails  # noqa: F401  (its e-mail kind)
    from portal.twofactor import models as _twofactor  # noqa: F401
    from portal.webhooks import models as _webhooks  # noqa: F401


def register_blueprints(app):
    from portal.admin.results import bp as results_bp
    from portal.admin.views import bp as admin_bp
    from portal.api.service_views import bp as service_tokens_bp
    from portal.api.tokens_views import bp as api_tokens_bp
    from portal.api.views import bp as api_bp
    from portal.auth.views import bp as auth_bp
    from portal.clusters.views import bp as clusters_bp
    from portal.collab.views import bp as collab_bp
    from portal.devices.views import bp as devices_bp
    from portal.directory.views import bp as directory_bp
    from portal.events import booking as _booking  # noqa: F401  (the firms' routes, on events.bp)
    from portal.events import day as _day  # noqa: F401  (agendas, check-in, meeting marks, on events.bp)
    from portal.events import scheduling_views as _scheduling  # noqa: F401  (the organisers' schedule routes)
    from portal.events.views import bp as events_bp
    from portal.firms.views import bp as firms_bp
    from portal.following.views import bp as following_bp
    from portal.followup.views import bp as followup_bp
    from portal.glossary.views import bp as glossary_bp
    from portal.line.views import bp as line_bp
    from portal.line.webhook import bp as line_webhook_bp
    from portal.main.views import bp as main_bp
    from portal.memberships.coordination import bp as coordination_bp
    from portal.memberships.views import bp as memberships_bp
    from portal.metrics.views import bp as metrics_bp
    from portal.moderation.views import bp as moderation_bp
    from portal.mydata.views import bp as mydata_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.outbox.views import bp as outbox_bp
    from portal.privacy.views import bp as privacy_bp
    from portal.scorecard.views import bp as scorecard_bp
    from portal.twofactor.views import bp as twofactor_bp
    from portal.webhooks.views import bp as webhooks_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(devices_bp, url_prefix="/auth/sessions")
    app.register_blueprint(clusters_bp, url_prefix="/clusters")
    app.register_blueprint(directory_bp, url_prefix="/directory")
    app.register_blueprint(collab_bp, url_prefix="/requests")
    app.register_blueprint(events_bp, url_prefix="/events")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(results_bp, url_prefix="/admin/results")
    app.register_blueprint(scorecard_bp, url_prefix="/admin/scorecard")
    app.register_blueprint(outbox_bp, url_prefix="/admin/outbox")
    app.register_blueprint(glossary_bp, url_prefix="/admin/glossary")
    app.register_blueprint(webhooks_bp, url_prefix="/admin/webhooks")
    app.register_blueprint(firms_bp, url_prefix="/firms")
    app.register_blueprint(memberships_bp, url_prefix="/firms")
    app.register_blueprint(coordination_bp, url_prefix="/clusters")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(followup_bp, url_prefix="/followup")
    app.register_blueprint(line_bp, url_prefix="/line")
    app.register_blueprint(line_webhook_bp, url_prefix="/line")
    app.register_blueprint(following_bp, url_prefix="/following")
    app.register_blueprint(twofactor_bp, url_prefix="/account/security")
    app.register_blueprint(mydata_bp, url_prefix="/account")
    app.register_blueprint(privacy_bp, url_prefix="/privacy")
    app.register_blueprint(api_tokens_bp, url_prefix="/account/tokens")
    app.register_blueprint(service_tokens_bp, url_prefix="/admin/service-tokens")
    app.register_blueprint(api_bp, url_prefix="/api")
    from portal import account_gates

    account_gates.init_app(app)  # the second factor, a pending deletion, the privacy notice: one ordered list


def register_template_helpers(app):
    from portal import audit_labels, i18n, permissions, reference
    from portal.validators import display_thai_phone, line_url

    app.before_request(i18n.remember_lang)
    i18n.install_template_gettext(app)
    app.add_template_global(i18n.current_locale, "current_locale")
    app.add_template_global(i18n.lang_url, "lang_url")
    app.add_template_global(i18n.switch_url, "switch_url")
    app.add_template_global(reference.province_name, "province_name")
    from portal.following.views import save_search_url

    app.add_template_global(save_search_url, "save_search_url")
    app.add_template_filter(i18n.format_be_date, "be_date")
    app.add_template_filter(i18n.format_be_datetime, "be_datetime")
    app.add_template_filter(i18n.format_number, "number")
    app.add_template_filter(i18n.format_year, "year")
    app.add_template_filter(display_thai_phone, "phone")
    app.add_template_filter(line_url, "line_url")
    app.add_template_filter(i18n.format_baht, "baht")
    app.add_template_filter(i18n.format_million_baht, "million_baht")
    app.add_template_filter(i18n.format_percent, "percent")
    app.add_template_global(i18n.format_baht_range, "baht_range")
    app.add_template_filter(i18n.bilingual_html, "bi")
    app.add_template_filter(audit_labels.action_label, "audit_action")
    app.add_template_filter(audit_labels.reason_label, "audit_reason")
    app.add_template_filter(audit_labels.details_text, "audit_details")
    app.add_template_global(audit_labels.target_label, "audit_target")

    for name in permissions.__all__:
        app.add_template_global(getattr(permissions, name), name)

    @app.context_processor
    def _globals():
        def unread_notifications():
            from flask_login import current_user

            from portal.notifications.services import unread_count

            if not current_user.is_authenticated:
                return 0
            return unread_count(current_user)  # usually read with the user: no query of its own

        return {"LANGUAGES": app.config["LANGUAGES"], "unread_notifications": unread_notifications}

    @app.after_request
    def _vary_on_language(response):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response


def register_commands(app):
    from portal.backup.cli import backup_command, restore_command
    from portal.cli import (
        glossary_cli,
        jobs_cli,
        notifications_cli,
        requests_cli,
        results_cli,
        search_cli,
        seed_cli,
        staff_cli,
        translate_cli,
    )

    for group in (translate_cli, seed_cli, staff_cli, notifications_cli, requests_cli, results_cli, search_cli,
                  jobs_cli, glossary_cli, backup_command, restore_command):
        app.cli.add_command(group)


def register_jobs(app):
    """The job queue, and the nudge after a request whose commit wrote outbox rows."""
    from portal.jobs import queue, tasks

    if app.config.get("JOBS_IMMEDIATE") and not app.testing:
        raise RuntimeError("JOBS_IMMEDIATE would send e-mail inside web requests: it is for tests only.")
    queue.configure(app)

    @app.after_request
    def _nudge_workers(response):
        tasks.nudge_if_committed()
        return response


def register_error_handlers(app):
    from portal.errors import register

    register(app)
