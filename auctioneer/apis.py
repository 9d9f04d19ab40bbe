"""Project-level endpoints that belong to no app."""

from django.utils import timezone
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auctioneer.schema import BEARER, problem_response


class PingApi(APIView):
    """Who am I: checks the bearer token and answers with its user and the server's clock.

    It does no other work on purpose — a health check for clients and load balancers that
    proves authentication works, and the framework-cost baseline of `make bench` (the `noop`
    scenario: every other figure is quoted as a ratio to it)."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Ping"

        user_id = serializers.IntegerField()
        username = serializers.CharField()
        time = serializers.DateTimeField()

    @swagger_auto_schema(
        operation_id="ping",
        responses={
            200: OutputSerializer,
            401: problem_response("No valid bearer token (problem details)"),
        },
        security=BEARER,
    )
    def get(self, request: Request) -> Response:
        user = request.user
        data = {"user_id": user.pk, "username": user.get_username(), "time": timezone.now()}
        return Response(self.OutputSerializer(data).data)
