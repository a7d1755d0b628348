"""People manage their own alert subscriptions: ``GET/POST /api/subscriptions``,
``DELETE /api/subscriptions/{id}`` (stops it; the row and its deliveries are kept) and, for
admins, ``GET /api/deliveries`` (the delivery log). Browser writes carry the session's CSRF
token (checked by :func:`api.dependencies.current_principal`); the rules of who may follow
what live in :mod:`layers.subscriptions`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.dependencies import MAX_INT32, ConnDep, EngineDep, PrincipalDep
from api.errors import AuthenticationError
from api.models import ok
from layers import subscriptions
from layers.users import ANONYMOUS, Principal

router = APIRouter(prefix="/api", tags=["avisos / subscriptions"])

Scope = Literal["community", "network", "district"]
NO_STORE = {"Cache-Control": "no-store", "Vary": "Authorization, Cookie"}


class Subscription(BaseModel):
    """One subscription. ``scope_id``/``scope_name`` are null when the reader may no longer
    see that scope (e.g. a community reclassified since)."""

    id: int
    subscriber: str
    scope: Scope
    scope_id: str | None
    scope_name: str | None
    scope_visible: bool
    channel: Literal["email", "webhook"]
    email: str | None
    webhook_url: str | None
    frequency: Literal["immediate", "daily"]
    lang: Literal["es", "en"]
    active: bool = Field(description="false: detenida (se conserva) / stopped (kept)")
    created_at: str


class CreatedSubscription(Subscription):
    """The new subscription; a webhook's HMAC secret is shown here once, never again."""

    secret: str | None


class SubscriptionList(BaseModel):
    subscriptions: list[Subscription]
    count: int


class DeliveryEntry(BaseModel):
    """One delivery: the alerts it carries, its state and its retries."""

    id: int
    subscription_id: int
    subscriber: str
    channel: Literal["email", "webhook"]
    scope: Scope
    scope_id: str
    alert_ids: list[int]
    alerts: int
    status: Literal["pending", "failed", "sent"]
    attempts: int
    next_attempt_at: str | None = Field(description="Próximo intento / next try (ISO 8601)")
    last_error: str | None
    sent_at: str | None
    created_at: str


class DeliveryLog(BaseModel):
    deliveries: list[DeliveryEntry]
    count: int


class SubscriptionNew(BaseModel):
    """What to follow, how and how often."""

    model_config = ConfigDict(extra="forbid")

    scope: Scope = Field(description="community | network | district")
    id: str = Field(min_length=1, max_length=64,
                    description="id de comunidad o red, o prefijo de ubigeo / id or admin "
                                "code prefix")
    channel: Literal["email", "webhook"] = "email"
    address: str | None = Field(None, max_length=254, description="correo / e-mail")
    url: str | None = Field(None, max_length=2000,
                            description="URL del webhook (solo administradores) / webhook "
                                        "URL (admins only)")
    frequency: Literal["immediate", "daily"] = "immediate"
    lang: Literal["es", "en"] = "es"


def signed_in(principal: Principal) -> Principal:
    if principal is ANONYMOUS:
        raise AuthenticationError("Inicie sesión para gestionar sus avisos / sign in to "
                                  "manage your notifications")
    return principal


@router.get("/subscriptions", summary="Mis suscripciones a alertas / my subscriptions",
            response_model=None, responses=ok(SubscriptionList))
def list_subscriptions(
    conn: ConnDep, principal: PrincipalDep,
    everyone: Annotated[bool, Query(alias="all", description="todas (solo administradores) "
                                                             "/ everybody's (admins only)")]
    = False,
    stopped: Annotated[bool, Query(description="incluir las detenidas / include stopped")]
    = False,
) -> JSONResponse:
    """Las suscripciones de quien pregunta (administradores: todas con ``all=1``)."""
    rows = subscriptions.list_for(conn, signed_in(principal), everyone=everyone,
                                  include_stopped=stopped)
    return JSONResponse({"subscriptions": rows, "count": len(rows)}, headers=NO_STORE)


@router.post("/subscriptions", summary="Suscribirse a alertas / subscribe to alerts",
             response_model=None, status_code=201, responses=ok(CreatedSubscription,
                                                                status=201))
def create_subscription(new: Annotated[SubscriptionNew, Body()], engine: EngineDep,
                        principal: PrincipalDep) -> JSONResponse:
    """Correo para miembros de red, editores y administradores; webhooks solo
    administradores (el secreto se muestra una vez) / e-mail for members, editors and admins;
    webhooks for admins only (the secret is shown once)."""
    who = signed_in(principal)
    with engine.begin() as conn:
        row = subscriptions.create(conn, who, scope=new.scope, scope_id=new.id,
                                   channel=new.channel, address=new.address,
                                   webhook_url=new.url, frequency=new.frequency, lang=new.lang)
    return JSONResponse(row, status_code=201, headers={
        **NO_STORE, "Location": f"/api/subscriptions/{row['id']}"})


@router.delete("/subscriptions/{subscription_id}",
               summary="Detener una suscripción / stop a subscription", response_model=None,
               responses=ok(Subscription))
def stop_subscription(subscription_id: Annotated[int, Path(ge=1, le=MAX_INT32)],
                      engine: EngineDep, principal: PrincipalDep) -> JSONResponse:
    """La suscripción deja de recibir avisos; se conserva con su registro de envíos / it
    stops; the row and its delivery log are kept."""
    who = signed_in(principal)
    with engine.begin() as conn:
        row = subscriptions.stop(conn, who, subscription_id)
    return JSONResponse(row, headers=NO_STORE)


@router.get("/deliveries", summary="Registro de envíos (administradores) / delivery log",
            response_model=None, responses=ok(DeliveryLog))
def list_deliveries(
    conn: ConnDep, principal: PrincipalDep,
    subscription: Annotated[int | None, Query(ge=1, le=MAX_INT32)] = None,
    status: Annotated[Literal["pending", "failed", "sent"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=subscriptions.MAX_LOG)] = 200,
) -> JSONResponse:
    """Envíos recientes con estado, intentos, próximo intento y último error."""
    rows = subscriptions.delivery_log(conn, signed_in(principal),
                                      subscription_id=subscription, state=status, limit=limit)
    return JSONResponse({"deliveries": rows, "count": len(rows)}, headers=NO_STORE)
