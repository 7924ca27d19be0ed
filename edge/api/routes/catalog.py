"""Catalog reads for the lanes: look up a scanned code, an item by SKU, search as you type."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from edge import catalog
from edge.api.deps import CurrentOperator, NodeDep, ReadConn
from edge.ledger import driver

router = APIRouter(prefix="/catalog", tags=["catalog"])


class ItemPublic(BaseModel):
    sku: str
    name_en: str
    name_zh: str
    unit: str
    price: int
    tax_class: str
    category: str
    brand: str
    active: bool
    codes: list[str]

    @classmethod
    def of(cls, item: catalog.CatalogItem) -> ItemPublic:
        return cls(**{**item.__dict__, "codes": list(item.codes)})


class TaxClassPublic(BaseModel):
    code: str
    rate_bp: int
    name_en: str
    name_zh: str


@router.get("/lookup/{code}")
def lookup(code: str, _operator: CurrentOperator, conn: ReadConn) -> ItemPublic:
    return ItemPublic.of(catalog.lookup_code(driver(conn), code))


@router.get("/items/{sku}")
def get_item(sku: str, _operator: CurrentOperator, conn: ReadConn) -> ItemPublic:
    return ItemPublic.of(catalog.get_item(driver(conn), sku))


@router.get("/search")
def search(
    _operator: CurrentOperator,
    conn: ReadConn,
    q: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ItemPublic]:
    return [ItemPublic.of(item) for item in catalog.search_items(conn, q, limit)]


@router.get("/tax-classes")
def tax_classes(_operator: CurrentOperator, node: NodeDep) -> list[TaxClassPublic]:
    return [TaxClassPublic(**t.model_dump()) for t in node.settings.tax_classes]
