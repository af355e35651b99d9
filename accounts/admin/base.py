"""What every accounts admin shares: service errors as form errors, reason pages, denials.

Who may do what is asked of the predicates (accounts.permissions) through `allows`, which
keeps a refusal on the request so that `denials_audited` records the rule that said no.

The admin writes nothing itself. Its pages are plain forms whose data goes to a service;
a `ServiceError` becomes an error on the form, never a 500, and the service's transaction
has left nothing behind. Actions that change an account ask for a reason first, because
the reason is part of the audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import reverse

from ccplatform.callers import Caller, caller_of
from ccplatform.errors import ServiceError
from ccplatform.gate import entry_point, record_denial
from ccplatform.permissions import Decision

FORM_TEMPLATE = "admin/accounts/form_page.html"
REASON_TEMPLATE = "admin/accounts/reason_action.html"
REASON_MAX_LENGTH = 500


REFUSAL_ATTRIBUTE = "_ccp_admin_refusal"


def allows(request: HttpRequest, predicate: Callable[[Caller], Decision]) -> bool:
    """Ask `predicate` for the request's caller; remember a refusal for `denials_audited`."""
    decision = predicate(caller_of(request))
    if not decision:
        setattr(request, REFUSAL_ATTRIBUTE, decision)
    return bool(decision)


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the form: on the fields it names, and as a summary."""
    for name, field_messages in error.fields.items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
    form.add_error(None, error.message)


def changelist_url(model_admin: admin.ModelAdmin[Any]) -> str:
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def change_url(model_admin: admin.ModelAdmin[Any], obj: Model) -> str:
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def render_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    title: str,
    context: Mapping[str, object],
    template: str = FORM_TEMPLATE,
) -> TemplateResponse:
    """An admin page in the site's frame (header, breadcrumbs, sidebar)."""
    opts = model_admin.opts
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "title": title,
            "changelist_url": changelist_url(model_admin),
            **context,
        },
    )


@contextmanager
def denials_audited(
    request: HttpRequest, model_admin: admin.ModelAdmin[Any], view: str
) -> Iterator[None]:
    """Record a refused admin page (the rule that said no, through the one denial recorder),
    then refuse it as before."""
    try:
        yield
    except PermissionDenied:
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if not isinstance(refusal, Decision):
            refusal = Decision(False, rule=f"admin.{model_admin.opts.label_lower}", why=view)
        record_denial(caller_of(request), refusal, resource=entry_point(request))
        raise


class AuditedModelAdmin[M: Model](admin.ModelAdmin[M]):
    """Django's own admin views, with every PermissionDenied recorded (denials are audited).

    Only staff with a verified second factor get this far: the admin site sends anyone
    else to sign in.
    """

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with denials_audited(request, self, "changelist"):
            return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with denials_audited(request, self, "change"):
            return super().change_view(request, object_id, form_url, extra_context)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with denials_audited(request, self, "add"):
            return super().add_view(request, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with denials_audited(request, self, "delete"):
            return super().delete_view(request, object_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with denials_audited(request, self, "history"):
            return super().history_view(request, object_id, extra_context)


# --- Pages whose form a service saves -----------------------------------------------------


def posted(request: HttpRequest) -> QueryDict | None:
    """The data for a page's form: what was posted, or None for a first, empty form."""
    return request.POST if request.method == "POST" else None


def saved(
    form: forms.Form | None, save: Callable[[dict[str, Any]], str]
) -> HttpResponseRedirect | None:
    """Hand the data of a posted, valid `form` to `save`, and redirect where it says.

    `save` calls the service (and adds the success message). A ServiceError it raises
    becomes an error on the form; then, as for a form not posted or not valid, the result
    is None and the caller shows the page again.
    """
    if form is None or not form.is_bound or not form.is_valid():
        return None
    try:
        next_url = save(form.cleaned_data)
    except ServiceError as error:
        add_service_error(form, error)
        return None
    return HttpResponseRedirect(next_url)


def add_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    form_class: Callable[[QueryDict | None], forms.Form],
    create: Callable[[dict[str, Any]], str],
    *,
    title: str,
    submit_label: str,
) -> HttpResponse:
    """An add page: a form whose data `create` hands to a service (see `saved`)."""
    with denials_audited(request, model_admin, "add"):
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        form = form_class(posted(request))
        redirect = saved(form, create)
        if redirect is not None:
            return redirect
        return render_page(
            model_admin, request, title=title, context={"form": form, "submit_label": submit_label}
        )


def object_for_page[M: Model](
    model_admin: admin.ModelAdmin[M], request: HttpRequest, object_id: str
) -> tuple[M, bool]:
    """The object of a change page, and whether the signed-in person may change it.

    PermissionDenied if they may not see it, or post without the right to change it;
    Http404 if it does not exist.
    """
    obj = model_admin.get_object(request, unquote(object_id))
    if not model_admin.has_view_or_change_permission(request, obj):
        raise PermissionDenied
    if obj is None:
        raise Http404
    editable = model_admin.has_change_permission(request, obj)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    return obj, editable


# --- Actions that ask for a reason --------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded in the audit log with your name. Do not include customer data.",
        error_messages={"required": "Give a reason: it is recorded in the audit log."},
    )


type AdminAction[M: Model] = Callable[
    [admin.ModelAdmin[M], HttpRequest, QuerySet[M]], HttpResponseBase | None
]


def reason_action[M: Model](
    name: str,
    *,
    permission: str,
    description: str,
    title: str,
    question: str,
    submit_label: str,
    apply: Callable[[Caller, M, str], object],
    done: str,
) -> AdminAction[M]:
    """An admin action that asks for a reason, then calls `apply` for each selected row.

    Assign it to the ModelAdmin attribute `name`; `permission` names its
    `has_<permission>_permission` method. The first call shows the reason page; the page
    posts back to the change list with `name` as the action and `confirm=yes`, which lands
    here again. A ServiceError for one row becomes an error message and the other rows go
    ahead. Returning None sends the browser back to the change list with the messages.
    `done` is formatted with `count`.
    """

    @admin.action(permissions=[permission], description=description)
    def action(
        model_admin: admin.ModelAdmin[M], request: HttpRequest, queryset: QuerySet[M]
    ) -> HttpResponseBase | None:
        form = ReasonForm(request.POST if request.POST.get("confirm") == "yes" else None)
        if form.is_bound and form.is_valid():
            caller = caller_of(request)
            reason: str = form.cleaned_data["reason"]
            count = 0
            for obj in queryset:
                try:
                    apply(caller, obj, reason)
                except ServiceError as error:
                    messages.error(request, f"{obj}: {error.message}")
                else:
                    count += 1
            if count:
                messages.success(request, done.format(count=count))
            return None
        return render_page(
            model_admin,
            request,
            title=title,
            template=REASON_TEMPLATE,
            context={
                "form": form,
                "question": question,
                "submit_label": submit_label,
                "objects": list(queryset),
                "action_name": name,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "post_url": request.get_full_path(),
            },
        )

    action.__name__ = action.__qualname__ = name
    return action
