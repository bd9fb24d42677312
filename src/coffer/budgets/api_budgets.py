"""api_budgets (in progress)."""

from fastapi import APIRouter

router = APIRouter()
