from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their space; anonymous visitors see the welcome page."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html")
    if user.is_professional:
        return redirect("pro:patient_list")
    if user.is_patient:
        return redirect("records:dashboard")
    if user.is_staff or user.is_support_agent:
        return redirect("console:home")
    from consent.policy import carer_patients

    if carer_patients(user).exists():
        return redirect("carer:patient_list")
    return render(request, "home.html")
