"""/api/v1/outcomes routes (filled in by issue 8 work)."""

from ninja import Router

router = Router()
