from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Overview: service name, ID scope, endpoints and counts."""
    return render(request, "enrollments/overview.html", {"counts": selectors.overview_counts()})
