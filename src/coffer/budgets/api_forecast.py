"""api_forecast (in progress)."""

from fastapi import APIRouter

router = APIRouter()
