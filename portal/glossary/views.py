"""The staff page of the glossary: list and filter the pairs, add one, correct one, retire and restore
(each asked once more on a page of its own)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.forms import ConfirmForm, place_error
from portal.glossary import queries, services
from portal.glossary.forms import EntryForm
from portal.i18n import gettext as _
from portal.listing import args_without_page, one_of, paginate, words_arg
from portal.permissions import can_edit_glossary, require

bp = Blueprint("glossary", __name__)


def _list_args() -> tuple[str, str]:
    return words_arg(request.args).strip(), one_of(request.args, "status", queries.STATUSES, "active")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    require(can_edit_glossary(current_user))
    form = EntryForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                entry = services.add_entry(current_user, form.term_th.data, form.term_en.data)
        except RuleViolation as exc:
            place_error(form, exc, default="term_en")
        else:
            flash(_("Added: %(th)s = %(en)s. The next search uses it.", th=entry.term_th, en=entry.term_en),
                  "success")
            return redirect(url_for("glossary.index", **args_without_page()))
    words, status = _list_args()
    pagination = paginate(queries.listing(words, status))
    return render_template("glossary/index.html", form=form, pagination=pagination, words=words, status=status,
                           args=args_without_page())


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id):
    require(can_edit_glossary(current_user))
    entry = queries.get_or_404(entry_id)
    if not entry.is_active:
        flash(_("This entry is retired: restore it before editing it."), "warning")
        return redirect(url_for("glossary.index", status="retired"))
    form = EntryForm(obj=entry)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_entry(current_user, entry, form.term_th.data, form.term_en.data)
        except RuleViolation as exc:
            place_error(form, exc, default="term_en")
        else:
            flash(_("Saved: %(th)s = %(en)s.", th=entry.term_th, en=entry.term_en), "success")
            return redirect(url_for("glossary.index"))
    return render_template("glossary/edit.html", form=form, entry=entry)


@bp.route("/<int:entry_id>/<any(retire, restore):action>", methods=["GET", "POST"])
@login_required
def change(entry_id, action):
    """Retire or restore: GET asks, POST does."""
    require(can_edit_glossary(current_user))
    entry = queries.get_or_404(entry_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            with unit_of_work():
                (services.retire_entry if action == "retire" else services.restore_entry)(current_user, entry)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Retired: searches no longer use %(th)s = %(en)s.", th=entry.term_th, en=entry.term_en)
                  if action == "retire" else
                  _("Restored: searches use %(th)s = %(en)s again.", th=entry.term_th, en=entry.term_en), "success")
        return redirect(url_for("glossary.index"))
    return render_template("glossary/confirm.html", entry=entry, action=action, form=form)
