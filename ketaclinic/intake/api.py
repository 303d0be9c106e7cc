"""/api/v1/intake: endpoints are added here as they are built (each declared in the OpenAPI document)."""

from ninja import Router

router = Router()
