"""Who the read API answers, and in what pages (docs/adr/0022-api-tokens-managed-in-the-service.md).

- `Authorization: Token <key>` with a token an NRU administrator made on the service's API
  tokens page: the request acts as the token's creator, and is recorded against the token. An
  expired, revoked, unknown or malformed key is 401 with the reason.
- A signed-in session (DRF's SessionAuthentication): NRU staff read the API in the browser. The
  API only reads; a method that writes would still need the CSRF token.
- Pages of 50, `page_size` up to 200; a page that does not exist, or a size out of range, is 400
  with the reason.
"""

from django.core.paginator import InvalidPage
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination

from .api_tokens import TokenRefused, api_token_for_key, api_token_use_record

KEYWORD = "Token"


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request)
        if not header:
            return None
        keyword, _, key = header.partition(b" ")
        if keyword.lower() != KEYWORD.lower().encode():
            return None
        try:
            key_text = key.decode("ascii").strip()
            token = api_token_for_key(key_text)
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "The token is malformed: a key is letters, digits and one full stop.") from None
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        api_token_use_record(token=token, method=request.method,
                             path=request.get_full_path())
        return (token.created_by, token)

    def authenticate_header(self, request):
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "reporting.api_auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "`Token <key>`, with a key an NRU administrator made on the service's "
                           "API tokens page. Expired, revoked or malformed keys are refused (401).",
        }


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError({self.page_size_query_param: [
                f"Give page_size as a whole number from 1 to {self.max_page_size}"]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({self.page_query_param: [
                "Give page as a whole number from 1"]})
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(int(raw))
        except InvalidPage:
            raise exceptions.ValidationError({self.page_query_param: [
                f"There is no page {raw}: the pages run from 1 to {paginator.num_pages}"]}) from None
        self.request = request
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1,
                                       "maximum": self.max_page_size, "default": self.page_size}
                parameter["description"] = (f"Results per page: {self.page_size} unless given, at "
                                            f"most {self.max_page_size}.")
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "A page number from 1 to the last (400 beyond it)."
        return parameters
