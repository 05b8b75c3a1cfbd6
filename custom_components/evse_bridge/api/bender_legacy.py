"""Client of the read-only Bender Legacy REST API (CC612/CC613 and rebrands).

``GET /rest/full_state`` returns every key. Real firmware answers plain text,
one ``key:value`` a line (split on the first colon), although the vendor
document implies JSON: both are accepted. Keys differ between firmware
versions, so everything is parsed by name and every key is optional.

Authentication: the document's header table (``Authorization: Basic Auth``,
``Username``, ``Password``) can also be read as real HTTP Basic
authentication. With a password configured the documented headers go first;
a 401/403 then tries the other scheme once before the credentials are blamed,
and the scheme that worked is kept (``auth_scheme``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import logging
from typing import Any

import aiohttp

from .bender_common import (
    FULL_STATE_PATH,
    LEGACY_IDENTITY_KEY,
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
    base_url,
    parse_body,
)
from .errors import (
    EvseAuthenticationError,
    EvseNotSupportedError,
    EvseResponseError,
)
from .http import http_request
from .parsing import enum_member, report_once, to_float, to_float_list, to_int, to_str

#: Schemes of ``auth_scheme``: no password configured, the document's headers, HTTP Basic.
AUTH_NONE = "none"
AUTH_HEADERS = "documented_headers"
AUTH_BASIC = "http_basic"
# Free text a controller sends in ``errors`` when nothing is wrong, per UI language.
_NO_ERRORS = frozenset({"", "no_errors", "keine_fehler", "none", "aucune_erreur", "geen_fouten"})


class Type2Proximity(StrEnum):
    """``type2_proximity``: cable rating from the proximity pilot."""

    NO_CABLE = "no_cable"
    A13 = "13"
    A20 = "20"
    A32 = "32"
    A63 = "63"
    CABLE_ATTACHED = "cable_attached"
    SHORT_CIRCUIT = "short_circuit"


class SchukoState(StrEnum):
    """``schuko_state``."""

    IDLE = "idle"
    CONNECTED = "connected"
    POWER_ON = "power_on"


class BackendConnectionState(StrEnum):
    """``backend_conn_state``: the OCPP backend link."""

    NOT_CONNECTED = "not_connected"
    CONNECTING = "connecting"
    CONNECTING_PROXY_OK = "connecting_proxy_ok"
    CONNECTED = "connected"
    NOT_REACHEABLE = "not_reacheable"
    REJECTED = "rejected"
    PENDING = "pending"


class RcmbState(StrEnum):
    """``rcmb_state``: residual current monitoring."""

    TRIGGERED = "triggered"
    OKAY = "okay"


class ProtectionState(StrEnum):
    """``rcd_state``, ``mcb_type2_state``, ``mcb_schuko_state``."""

    DISABLE = "disable"
    TRIGGERED = "triggered"
    OKAY = "okay"


class MeterConfiguration(StrEnum):
    """``ocpp_meter_cfg``: the meter the controller reads, every value the document lists."""

    EHZ_METER_RS232 = "ehz_meter_rs232"
    S0_METER_OPTO_1 = "s0_meter_opto_1"
    S0_METER_OPTO_2 = "s0_meter_opto_2"
    NO_METER = "no_meter"
    S0_METER_DEDICATED_INPUT = "s0_meter_dedicated_input"
    INTERNAL_METER = "internal_meter"
    MODBUS_METER_ABB = "modbus_meter_abb"
    MODBUS_METER_EASTRON_SDM630 = "modbus_meter_eastron_sdm630"
    MODBUS_METER_EASTRON_SDM120_220 = "modbus_meter_eastron_sdm120_220"
    MODBUS_METER_GARO_GNM3D = "modbus_meter_garo_gnm3d"
    MODBUS_METER_GARO_GNM1D = "modbus_meter_garo_gnm1d"
    MODBUS_METER_GARO_GM3T = "modbus_meter_garo_gm3t"
    MODBUS_METER_GARO_EM270 = "modbus_meter_garo_em270"
    MODBUS_METER_FINDER = "modbus_meter_finder"
    MODBUS_METER_SAIA_ALE3 = "modbus_meter_saia_ale3"
    MODBUS_METER_INEPRO_PRO1_2 = "modbus_meter_inepro_pro1_2"
    MODBUS_METER_INEPRO_PRO380 = "modbus_meter_inepro_pro380"
    MODBUS_METER_OPTEC = "modbus_meter_optec"
    MODBUS_METER_NZR = "modbus_meter_nzr"
    MODBUS_METER_TQ_EM300LR = "modbus_meter_tq_em300lr"
    MODBUS_METER_CARLO_GAVAZZI_EM200 = "modbus_meter_carlo_gavazzi_em200"
    MODBUS_METER_CARLO_GAVAZZI_EM340 = "modbus_meter_carlo_gavazzi_em340"
    MODBUS_METER_GARO_GNM3T = "modbus_meter_garo_gnm3t"
    MODBUS_METER_IME_CE4DMID31 = "modbus_meter_ime_ce4dmid31"
    MODBUS_METER_SIEMENS7KT1666 = "modbus_meter_siemens7kt1666"
    MODBUS_METER_TQ_EM300LR_TCP = "modbus_meter_tq_em300lr_tcp"
    MODBUS_METER_SIEMENS7KM2200_TCP = "modbus_meter_siemens7km2200_tcp"
    MODBUS_METER_HAGER_ECR380D = "modbus_meter_hager_ecr380d"
    MODBUS_METER_GARO_GNM3TD = "modbus_meter_garo_gnm3td"
    MODBUS_METER_CARLO_GAVAZZI_EM210 = "modbus_meter_carlo_gavazzi_em210"
    MODBUS_METER_PHOENIXCONTACT_EEM_MB371_TCP = "modbus_meter_phoenixcontact_eem_mb371_tcp"
    MODBUS_METER_SCHNEIDER_IEM3555 = "modbus_meter_schneider_iem3555"
    MODBUS_METER_ECS_M3PRO = "modbus_meter_ecs_m3pro"
    MODBUS_METER_JANITZA_UMG_512_PRO = "modbus_meter_janitza_umg_512_pro"
    MODBUS_METER_JANITZA_UMG_512_PRO_TCP = "modbus_meter_janitza_umg_512_pro_tcp"
    MODBUS_METER_JANITZA_UMG_605_PRO = "modbus_meter_janitza_umg_605_pro"
    MODBUS_METER_JANITZA_UMG_605_PRO_TCP = "modbus_meter_janitza_umg_605_pro_tcp"
    MODBUS_METER_DZG_DVH4013 = "modbus_meter_dzg_dvh4013"
    MODBUS_METER_GOSSEN_METRAWATT_EM2289 = "modbus_meter_gossen_metrawatt_em2289"
    MODBUS_METER_EASTRON_SDM72D = "modbus_meter_eastron_sdm72d"
    MODBUS_METER_ISKRA_WM3M6 = "modbus_meter_iskra_wm3m6"
    MODBUS_METER_TQ_EM410420 = "modbus_meter_tq_em410420"
    MODBUS_METER_TQ_EM410420_TCP = "modbus_meter_tq_em410420_tcp"
    MODBUS_BERG_BME_461 = "modbus_berg_bme_461"
    MODBUS_BERG_B23 = "modbus_berg_b23"
    MODBUS_METER_PHOENIXCONTACT_EEM_EM357 = "modbus_meter_phoenixcontact_eem_em357"
    MODBUS_METER_NZR_ECOCOUNT_Q4 = "modbus_meter_nzr_ecocount_q4"
    MODBUS_METER_ABB_EV3 = "modbus_meter_abb_ev3"
    DC_DZG_GSH01 = "dc_dzg_gsh01"
    MODBUS_METER_YTL_DTS353F = "modbus_meter_ytl_dts353f"
    INTERNAL_AC_METER = "internal_ac_meter"
    INTERNAL_DC_METER = "internal_dc_meter"
    MODBUS_EICHRECHT = "modbus_eichrecht"
    EHZ_METER_USB = "ehz_meter_usb"


def _on_off(value: str | None, on: str, off: str) -> bool | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text == on:
        return True
    if text == off:
        return False
    report_once("on_off", text, "Unknown on/off value %r; it is shown as unknown", text)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyState:
    """The parsed full state. ``None`` means the key is missing or unparsable.

    ``present`` lists the keys the controller sent, so entities are created
    only for what this firmware offers. The RFID UID (``auth_uid``) is kept for
    the session record only: out of reprs, redacted in diagnostics.
    """

    present: frozenset[str]
    serial: str
    vendor: str | None
    model: str | None
    firmware: str | None
    manufacturer_serial: str | None
    charge_point_id: str | None
    connection_state: ConnectionState | None
    authorization_state: AuthorizationState | None
    ocpp_state: OcppState | None
    slave_state: OcppState | None
    type2_state: Type2State | None
    type2_proximity: Type2Proximity | None
    schuko_state: SchukoState | None
    backend_connection_state: BackendConnectionState | None
    rcmb_state: RcmbState | None
    rcd_state: ProtectionState | None
    mcb_type2_state: ProtectionState | None
    mcb_schuko_state: ProtectionState | None
    charging_duration_s: int | None
    meter_wh: int | None
    power_w: float | None
    transaction_wh: int | None
    signaled_current_a: float | None
    energy_management_current_a: float | None
    max_current_a: float | None
    ambient_temperature_c: float | None
    currents_a: tuple[float | None, ...]
    voltages_v: tuple[float | None, ...]
    rcmb_max_ma: tuple[float | None, ...]
    rcmb_current_ma: tuple[float | None, ...]
    connection_cycles_schuko: int | None
    connection_cycles_type2: int | None
    free_charging: bool | None
    cable_attached: bool | None
    schuko_enabled: bool | None
    wlan_connected: bool | None
    meter_configuration: MeterConfiguration | None
    meter_serial: str | None
    errors: tuple[str, ...] | None
    auth_uid: str | None = field(default=None, repr=False)
    #: Enum-like keys whose value is not in the document's list, with the value as sent:
    #: the lists are not complete (a real 5.33.9 sends an unlisted ``ocpp_meter_cfg``), so
    #: such a value is real data to show, while the typed field above reads None.
    unlisted: Mapping[str, str] = field(default_factory=dict)


class _Reader:
    """Reads typed values from the raw mapping, logging each unparsable key once."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.unlisted: dict[str, str] = {}

    def text(self, key: str) -> str | None:
        return to_str(self.raw.get(key))

    def _number[N: (int, float)](self, key: str, convert: Any) -> N | None:
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number: N | None = convert(value)
        if number is None:
            report_once(
                key, str(value), "Cannot parse %s value %r; it is shown as unknown", key, value
            )
        return number

    def integer(self, key: str) -> int | None:
        return self._number(key, to_int)

    def decimal(self, key: str) -> float | None:
        return self._number(key, to_float)

    def numbers(self, *keys: str) -> tuple[float | None, ...]:
        for key in keys:
            if key in self.raw:
                return tuple(to_float_list(self.raw[key]) or ())
        return ()

    def enum[E: StrEnum](self, enum: type[E], key: str) -> E | None:
        """The listed value, else None with the value kept in ``unlisted`` (logged once, debug)."""
        text = to_str(self.raw.get(key))
        if text is None:
            return None
        if (member := enum_member(enum, text)) is None:
            self.unlisted[key] = text
            report_once(
                key,
                text,
                "Value %r of %s is not in the document's list; shown as sent",
                text,
                key,
                level=logging.DEBUG,
            )
        return member


def parse_full_state(raw: dict[str, Any]) -> LegacyState:
    """Build a LegacyState; raise EvseResponseError if this is not a controller's state."""
    read = _Reader(raw)
    serial = read.text(LEGACY_IDENTITY_KEY)
    if serial is None:
        raise EvseResponseError("answer lacks the controller serial (cc_serial_n)")
    errors: tuple[str, ...] | None = None
    if "errors" in raw:
        sent = raw["errors"]
        # Text separates errors with ";"; a JSON form may send a list.
        parts = (
            [to_str(item) or "" for item in sent]
            if isinstance(sent, list)
            else (read.text("errors") or "").split(";")
        )
        errors = tuple(
            part.strip()
            for part in parts
            if part.strip() and part.strip().lower() not in _NO_ERRORS
        )
    return LegacyState(
        present=frozenset(raw),
        serial=serial,
        vendor=read.text("cp_vendor"),
        model=read.text("cp_model"),
        firmware=read.text("firmware_ver"),
        manufacturer_serial=read.text("manuf_serial_n"),
        charge_point_id=read.text("cp_id"),
        connection_state=read.enum(ConnectionState, "conn_state"),
        authorization_state=read.enum(AuthorizationState, "auth_state"),
        ocpp_state=read.enum(OcppState, "ocpp_state"),
        slave_state=read.enum(OcppState, "slave_state"),
        type2_state=read.enum(Type2State, "type2_state"),
        type2_proximity=read.enum(Type2Proximity, "type2_proximity"),
        schuko_state=read.enum(SchukoState, "schuko_state"),
        backend_connection_state=read.enum(BackendConnectionState, "backend_conn_state"),
        rcmb_state=read.enum(RcmbState, "rcmb_state"),
        rcd_state=read.enum(ProtectionState, "rcd_state"),
        mcb_type2_state=read.enum(ProtectionState, "mcb_type2_state"),
        mcb_schuko_state=read.enum(ProtectionState, "mcb_schuko_state"),
        charging_duration_s=read.integer("time_since_charging_start"),
        meter_wh=read.integer("meter_wh"),
        power_w=read.decimal("power_w"),
        transaction_wh=read.integer("transaction_wh"),
        signaled_current_a=read.decimal("sig_current"),
        energy_management_current_a=read.decimal("energy_man_current"),
        max_current_a=read.decimal("max_current"),
        ambient_temperature_c=read.decimal("ambient_temp"),
        currents_a=read.numbers("current_a"),
        voltages_v=read.numbers("voltage_v"),
        rcmb_max_ma=read.numbers("rcmb_max_values", "rcmb_max"),
        rcmb_current_ma=read.numbers("rcmb_current_values", "rcmb_values"),
        connection_cycles_schuko=read.integer("con_cycles_schuko"),
        connection_cycles_type2=read.integer("con_cycles_type2"),
        free_charging=_on_off(read.text("free_charging"), "on", "off"),
        cable_attached=_on_off(read.text("cable_attached"), "on", "off"),
        schuko_enabled=_on_off(read.text("schuko_cfg"), "enable", "disable"),
        wlan_connected=_on_off(read.text("wlan_state"), "wlan_connected", "wlan_disconnected"),
        meter_configuration=read.enum(MeterConfiguration, "ocpp_meter_cfg"),
        meter_serial=read.text("ocpp_meter_serial"),
        errors=errors,
        auth_uid=read.text("auth_uid"),
        unlisted=read.unlisted,
    )


class BenderLegacyClient:
    """Reads ``full_state`` from one controller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        username: str | None = None,
        password: str | None = None,
        auth_scheme: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        """Talk to ``host``; with a password, start with ``auth_scheme`` (default: documented)."""
        self._session = session
        self._url = base_url(host) + FULL_STATE_PATH
        self._timeout_s = timeout_s
        self._username = username or "operator"
        self._password = password or ""
        #: The authentication that worked last (or is tried first): one of the ``AUTH_*``.
        self.auth_scheme = AUTH_NONE
        if password:
            self.auth_scheme = auth_scheme if auth_scheme == AUTH_BASIC else AUTH_HEADERS
        self._header_sets: dict[str, dict[str, str]] = {}
        #: The last answer, for diagnostics (the caller redacts ``auth_uid``).
        self.raw_payloads: dict[str, Any] = {}

    def _headers(self, scheme: str) -> dict[str, str]:
        # The same on every poll: built once per scheme.
        if (headers := self._header_sets.get(scheme)) is None:
            headers = self._header_sets[scheme] = self._build_headers(scheme)
        return headers

    def _build_headers(self, scheme: str) -> dict[str, str]:
        headers = {"Accept": "application/json, text/plain;q=0.9"}
        if scheme == AUTH_HEADERS:
            # The vendor document's literal header set; controllers that do not
            # enforce authentication ignore it.
            headers |= {
                "Authorization": "Basic Auth",
                "Username": self._username,
                "Password": self._password,
            }
        elif scheme == AUTH_BASIC:
            credentials = f"{self._username}:{self._password}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(credentials).decode('ascii')}"
        return headers

    async def full_state(self) -> LegacyState:
        """Fetch and parse ``/rest/full_state``."""
        schemes = [self.auth_scheme]
        if self.auth_scheme != AUTH_NONE:
            schemes.append(AUTH_BASIC if self.auth_scheme == AUTH_HEADERS else AUTH_HEADERS)
        for scheme in schemes:
            answer = await http_request(
                self._session,
                "GET",
                self._url,
                timeout_s=self._timeout_s,
                headers=self._headers(scheme),
            )
            if answer.status not in (401, 403):
                self.auth_scheme = scheme
                break
        else:
            raise EvseAuthenticationError("controller refused the credentials")
        if answer.status == 404:
            raise EvseNotSupportedError("REST interface is disabled or absent")
        if answer.status != 200:
            raise EvseResponseError(f"controller answered HTTP {answer.status}")
        raw = parse_body(answer.text())
        self.raw_payloads[FULL_STATE_PATH] = raw
        return parse_full_state(raw)
