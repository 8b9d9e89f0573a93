from django.urls import path

from documents.api import DocumentDepositView, UploadStatusView

app_name = "api"

urlpatterns = [
    path("documents/", DocumentDepositView.as_view(), name="document_deposit"),
    path("depots/<uuid:upload_id>/", UploadStatusView.as_view(), name="upload_status"),
]
