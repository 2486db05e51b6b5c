"""``GET /api/v1/services`` and ``GET /api/v1/services/{id}``: the public services catalogue as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ConversationDep, SnapshotDep
from api.errors import ErrorOut, error_responses
from flows.catalogue import Catalogue
from flows.facets import available_facets, available_situations, facet_labels
from flows.schema import Service

__all__ = ["FacetOut", "FeeOut", "ServiceOut", "SituationOut", "router", "service_out"]

router = APIRouter(prefix="/api/v1", tags=["services"])

TaxonId = Annotated[str, Query(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]


class FeeOut(BaseModel):
    """A fee, processing time or other dated fact, served only inside its validity window."""

    text: str
    source: str
    valid_from: dt.date | None
    valid_until: dt.date | None


class FacetOut(BaseModel):
    """One facet of a service (who, online, in_person, documents, fee, time, result) as served today."""

    key: str
    label: str
    text: str
    source: str
    reviewed: dt.date
    uncertain: bool
    valid_from: dt.date | None
    valid_until: dt.date | None


class SituationOut(BaseModel):
    """A common situation of a service (lost papers, late registration…) as served today."""

    id: str
    kind: str
    label: str
    text: str
    source: str
    reviewed: dt.date
    uncertain: bool


class ServiceOut(BaseModel):
    """One service of the catalogue."""

    id: str
    number: int | None
    group: str
    name: str
    title: str
    summary: str
    sector: str
    sector_title: str | None
    body: str
    life_events: list[str]
    channels: list[str]
    where_note: str | None
    prepare: list[str]
    fees: list[FeeOut]
    legal_basis: list[str]
    flow: str | None
    faq: list[str]
    source: str
    reviewed: dt.date
    uncertain: bool
    #: The facets valid today, in the order who, online, in_person, documents, fee, time, result.
    facets: list[FacetOut]
    situations: list[SituationOut]


def service_out(cat: Catalogue, svc: Service, *, today: dt.date) -> ServiceOut:
    """The public JSON shape of a service; expired or future fees, facets and situations are left out."""
    sector = cat.sector(svc.sector)
    facets = []
    for key in available_facets(svc, today):
        f = svc.facet_on(key, today)
        if f is not None:
            facets.append(FacetOut(key=key, label=facet_labels[key], text=f.text, source=f.source, reviewed=f.reviewed,
                                   uncertain=f.uncertain, valid_from=f.valid_from, valid_until=f.valid_until))
    situations = [
        SituationOut(id=x.id, kind=x.kind, label=x.label, text=x.text, source=x.source, reviewed=x.reviewed,
                     uncertain=x.uncertain)
        for x in available_situations(svc, today)
    ]
    return ServiceOut(
        id=svc.id,
        number=svc.number,
        group=svc.group,
        name=svc.name,
        title=svc.title,
        summary=svc.summary,
        sector=svc.sector,
        sector_title=sector.title if sector else None,
        body=svc.body,
        life_events=list(svc.life_events),
        channels=list(svc.channels),
        where_note=svc.where_note,
        prepare=list(svc.prepare),
        fees=[
            FeeOut(text=f.text, source=f.source, valid_from=f.valid_from, valid_until=f.valid_until)
            for f in svc.fees
            if f.is_valid_on(today)
        ],
        legal_basis=list(svc.legal_basis),
        flow=svc.flow,
        faq=list(svc.faq),
        source=svc.source,
        reviewed=svc.reviewed,
        uncertain=svc.uncertain,
        facets=facets,
        situations=situations,
    )


@router.get("/services", response_model=list[ServiceOut], responses=error_responses(422))
def list_services(
    snapshot: SnapshotDep,
    conversation: ConversationDep,
    sector: TaxonId | None = None,
    life_event: TaxonId | None = None,
) -> list[ServiceOut]:
    """Every service, in catalogue order; ``sector`` and ``life_event`` narrow the list."""
    cat = snapshot.catalogue
    today = conversation.clock().date()
    return [service_out(cat, s, today=today) for s in cat.list(sector=sector, life_event=life_event)]


@router.get(
    "/services/{service_id}",
    response_model=ServiceOut,
    responses={404: {"model": ErrorOut, "description": "No service with this id"}, **error_responses(422)},
)
def get_service(
    snapshot: SnapshotDep,
    conversation: ConversationDep,
    service_id: Annotated[str, Path(max_length=64)],
) -> ServiceOut | JSONResponse:
    """One service by id; 404 JSON when unknown."""
    cat = snapshot.catalogue
    svc = cat.get(service_id)
    if svc is None:
        return JSONResponse({"error": f"unknown service {service_id!r}"}, status_code=404)
    return service_out(cat, svc, today=conversation.clock().date())
