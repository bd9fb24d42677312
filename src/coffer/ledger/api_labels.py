"""REST routes of what transactions are labelled with: categories (two levels, merge,
delete with reassignment), tags and merchants.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from coffer.imports import aliases
from coffer.ledger import service
from coffer.ledger.api_common import patch_values
from coffer.ledger.models import CategoryKind
from coffer.ledger.schemas import (
    CategoryCreate,
    CategoryMerge,
    CategoryRead,
    CategoryUpdate,
    MerchantCreate,
    MerchantMerge,
    MerchantMergeRead,
    MerchantRead,
    TagCreate,
    TagRead,
    TagUpdate,
)
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep

router = APIRouter()


# --- categories -------------------------------------------------------------------------


def _category(category: object) -> CategoryRead:
    return CategoryRead.model_validate(category, from_attributes=True)


@router.get("/categories", response_model=list[CategoryRead], tags=["categories"], summary="All")
def list_categories(session: SessionDep, context: CurrentTenant) -> list[CategoryRead]:
    return [_category(c) for c in service.list_categories(session, tenant_id=context.tenant_id)]


@router.post(
    "/categories",
    response_model=CategoryRead,
    status_code=status.HTTP_201_CREATED,
    tags=["categories"],
    summary="Create a category (two levels at most)",
)
def create_category(
    body: CategoryCreate, session: SessionDep, context: WritableTenant
) -> CategoryRead:
    category = service.create_category(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, **body.model_dump()
    )
    return _category(category)


@router.get(
    "/categories/{category_id}", response_model=CategoryRead, tags=["categories"], summary="One"
)
def get_category(
    category_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> CategoryRead:
    return _category(
        service.get_category(session, tenant_id=context.tenant_id, category_id=category_id)
    )


@router.patch(
    "/categories/{category_id}", response_model=CategoryRead, tags=["categories"], summary="Change"
)
def update_category(
    category_id: uuid.UUID, body: CategoryUpdate, session: SessionDep, context: WritableTenant
) -> CategoryRead:
    values = patch_values(body, nullable=frozenset({"parent_id", "colour"}))
    if "kind" in values:
        values["kind"] = CategoryKind(values["kind"])
    category = service.update_category(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        category_id=category_id,
        values=values,  # type: ignore[arg-type]
    )
    return _category(category)


@router.post(
    "/categories/{category_id}/merge",
    response_model=CategoryRead,
    tags=["categories"],
    summary="Fold this category into another (transactions, splits, subcategories, rules)",
)
def merge_category(
    category_id: uuid.UUID, body: CategoryMerge, session: SessionDep, context: WritableTenant
) -> CategoryRead:
    target = service.merge_categories(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        source_id=category_id,
        target_id=body.target_id,
    )
    return _category(target)


@router.delete(
    "/categories/{category_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["categories"],
    summary="Delete; transactions move to reassign_to, or become uncategorised",
)
def delete_category(
    category_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
    reassign_to: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    service.delete_category(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        category_id=category_id,
        reassign_to=reassign_to,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- tags -------------------------------------------------------------------------------


@router.get("/tags", response_model=list[TagRead], tags=["tags"], summary="Tags with usage")
def list_tags(session: SessionDep, context: CurrentTenant) -> list[TagRead]:
    usage = service.tag_usage(session, tenant_id=context.tenant_id)
    return [
        TagRead(id=t.id, name=t.name, colour=t.colour, transaction_count=usage.get(t.id, 0))
        for t in service.list_tags(session, tenant_id=context.tenant_id)
    ]


@router.post(
    "/tags",
    response_model=TagRead,
    status_code=status.HTTP_201_CREATED,
    tags=["tags"],
    summary="Create a tag",
)
def create_tag(body: TagCreate, session: SessionDep, context: WritableTenant) -> TagRead:
    tag = service.create_tag(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, **body.model_dump()
    )
    return TagRead(id=tag.id, name=tag.name, colour=tag.colour, transaction_count=0)


@router.patch("/tags/{tag_id}", response_model=TagRead, tags=["tags"], summary="Rename, recolour")
def update_tag(
    tag_id: uuid.UUID, body: TagUpdate, session: SessionDep, context: WritableTenant
) -> TagRead:
    values = patch_values(body, nullable=frozenset({"colour"}))
    tag = service.update_tag(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        tag_id=tag_id,
        name=values.get("name"),
        colour=values.get("colour"),
        set_colour="colour" in values,
    )
    usage = service.tag_usage(session, tenant_id=context.tenant_id)
    return TagRead(
        id=tag.id, name=tag.name, colour=tag.colour, transaction_count=usage.get(tag.id, 0)
    )


@router.delete(
    "/tags/{tag_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["tags"],
    summary="Delete a tag",
)
def delete_tag(tag_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> Response:
    service.delete_tag(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, tag_id=tag_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- merchants --------------------------------------------------------------------------


@router.get(
    "/merchants", response_model=list[MerchantRead], tags=["merchants"], summary="Merchants"
)
def list_merchants(
    session: SessionDep,
    context: CurrentTenant,
    search: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MerchantRead]:
    rows = service.list_merchants(session, tenant_id=context.tenant_id, search=search, limit=limit)
    return [MerchantRead(id=m.id, name=m.name) for m in rows]


@router.post(
    "/merchants",
    response_model=MerchantRead,
    status_code=status.HTTP_201_CREATED,
    tags=["merchants"],
    summary="Create a merchant",
)
def create_merchant(
    body: MerchantCreate, session: SessionDep, context: WritableTenant
) -> MerchantRead:
    merchant = service.create_merchant(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, name=body.name
    )
    return MerchantRead(id=merchant.id, name=merchant.name)


@router.patch(
    "/merchants/{merchant_id}", response_model=MerchantRead, tags=["merchants"], summary="Rename"
)
def rename_merchant(
    merchant_id: uuid.UUID, body: MerchantCreate, session: SessionDep, context: WritableTenant
) -> MerchantRead:
    merchant = service.rename_merchant(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        merchant_id=merchant_id,
        name=body.name,
    )
    return MerchantRead(id=merchant.id, name=merchant.name)


@router.post(
    "/merchants/{merchant_id}/merge",
    response_model=MerchantMergeRead,
    tags=["merchants"],
    summary="Fold this merchant into another (transactions, aliases)",
)
def merge_merchant(
    merchant_id: uuid.UUID, body: MerchantMerge, session: SessionDep, context: WritableTenant
) -> MerchantMergeRead:
    result = aliases.merge_merchants(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        source_id=merchant_id,
        target_id=body.target_id,
    )
    return MerchantMergeRead(
        merchant=MerchantRead(id=result.target.id, name=result.target.name),
        transactions=result.transactions,
        aliases=result.aliases,
        new_alias=result.new_alias.pattern if result.new_alias else None,
    )


@router.delete(
    "/merchants/{merchant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["merchants"],
    summary="Delete a merchant",
)
def delete_merchant(
    merchant_id: uuid.UUID, session: SessionDep, context: WritableTenant
) -> Response:
    service.delete_merchant(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, merchant_id=merchant_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
