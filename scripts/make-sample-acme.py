#!/usr/bin/env python3
"""Generates the sample organization samples/acme (docs/FORMAT.md, repository format 1).

Deterministic: every random choice comes from random.Random instances with fixed seeds, so each run
writes byte-identical files. The script deletes samples/acme and writes it again; it touches nothing else.

Credits are handled only as integers in ten-thousandths ("units"), never as floats. The script replays
the ledger itself, twice, and fails loudly on any broken rule:

  1. the real history, with promo-staging's usage still present (what the gateways actually charged);
  2. the repository as written, exactly as FORMAT.md "Balances: the ledger replay" says: promo-staging's
     usage files are gone and its tombstone's `consumed` is charged at its deletion instant.

Both must agree on every final balance. Python 3 standard library only.
"""

import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "samples", "acme")

UNIT = 10_000  # one credit in ten-thousandths


def fail(message):
    sys.exit("make-sample-acme: " + message)


def check(condition, message):
    if not condition:
        fail(message)


# ---------------------------------------------------------------------------------------------------
# Credits, times, ids
# ---------------------------------------------------------------------------------------------------

def cr(text):
    """Credits from their decimal text, as integer units. Never goes through float."""
    m = re.fullmatch(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,4}))?", text)
    check(m is not None, "bad credits literal %r" % text)
    frac = (m.group(2) or "").ljust(4, "0")
    return int(m.group(1)) * UNIT + int(frac)


def fmt_credits(units):
    check(isinstance(units, int), "credits must be integer units")
    sign = "-" if units < 0 else ""
    units = abs(units)
    whole, frac = divmod(units, UNIT)
    if frac == 0:
        return "%s%d" % (sign, whole)
    return "%s%d.%s" % (sign, whole, ("%04d" % frac).rstrip("0"))


def fmt_decimal(value, digits):
    """An exact decimal value*10^-digits as text, without exponent or trailing zeros."""
    whole, frac = divmod(value, 10 ** digits)
    if frac == 0:
        return str(whole)
    return "%d.%s" % (whole, str(frac).rjust(digits, "0").rstrip("0"))


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def ms(text):
    """Milliseconds since the epoch of a 'YYYY-MM-DDTHH:MM:SS[.fff]Z' text."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z", text)
    check(m is not None, "bad time literal %r" % text)
    t = dt.datetime(*(int(g) for g in m.groups()[:6]), tzinfo=dt.timezone.utc)
    frac = int((m.group(7) or "").ljust(3, "0"))
    return int((t - EPOCH).total_seconds()) * 1000 + frac


def fmt_time(millis):
    """RFC 3339 UTC; the fraction only when not zero, trailing zeros dropped (as orgsync writes it)."""
    seconds, frac = divmod(millis, 1000)
    t = EPOCH + dt.timedelta(seconds=seconds)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + ("%03d" % frac).rstrip("0")
    return text + "Z"


def day_of(millis):
    t = EPOCH + dt.timedelta(milliseconds=millis)
    return (t.year, t.month, t.day)


DAY_MS = 86_400_000

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
RECORD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def ulid(millis, rng):
    """A ULID: 48-bit millisecond time, then 80 bits from the seeded generator."""
    check(0 <= millis < 2 ** 48, "time out of ULID range")
    value = (millis << 80) | rng.getrandbits(80)
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    text = "".join(reversed(chars))
    check(ULID_RE.match(text) is not None, "generated a bad ULID " + text)
    return text


# ---------------------------------------------------------------------------------------------------
# Canonical YAML, mirroring Sources/OrgModel/CanonicalYAML.swift
# ---------------------------------------------------------------------------------------------------

class Plain(str):
    """Text written as is: numbers, booleans, times, credits."""


RESERVED = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
            "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "=", "<<"}
NUMERIC_CHARS = set("0123456789_.:+-eEoOxXbBaAcCdDfF")


def looks_numeric_or_date(text):
    if text.lower() in (".inf", "+.inf", "-.inf", ".nan"):
        return True
    if text[0] not in "0123456789+-.":
        return False
    head = text[:5]
    if len(head) == 5 and head[:4].isdigit() and head[:4].isascii() and head[4] == "-":
        return True
    return all(c in NUMERIC_CHARS for c in text)


def plain_safe(text):
    if not text or text in RESERVED:
        return False
    if text[0] in " \t-?:,[]{}#&*!|>'\"%@`":
        return False
    if text[-1] in " :":
        return False
    if ": " in text or " #" in text:
        return False
    for c in text:
        o = ord(c)
        if o < 0x20 or o == 0x7F or o == 0x85 or o == 0xFEFF or 0x2028 <= o <= 0x2029:
            return False
    return not looks_numeric_or_date(text)


def json_string(text):
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def scalar(text):
    return text if plain_safe(text) else json_string(text)


def inline(node):
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, Plain):
        return str(node)
    if isinstance(node, int):
        return str(node)
    if isinstance(node, str):
        return scalar(node)
    if isinstance(node, list):
        return "[]"
    if isinstance(node, dict):
        return "{}"
    fail("cannot write %r" % (node,))


def write_map(entries, indent, out):
    pad = " " * indent
    for key, value in entries.items():
        k = scalar(key)
        if isinstance(value, dict) and value:
            out.append("%s%s:\n" % (pad, k))
            write_map(value, indent + 2, out)
        elif isinstance(value, list) and value:
            out.append("%s%s:\n" % (pad, k))
            write_list(value, indent + 2, out)
        else:
            out.append("%s%s: %s\n" % (pad, k, inline(value)))


def write_list(items, indent, out):
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            block = []
            write_map(item, indent + 2, block)
            out.append(pad + "- " + "".join(block)[indent + 2:])
        elif isinstance(item, list) and item:
            block = []
            write_list(item, indent + 2, block)
            out.append(pad + "- " + "".join(block)[indent + 2:])
        else:
            out.append("%s- %s\n" % (pad, inline(item)))


def render(node):
    out = []
    write_map(node, 0, out)
    return "".join(out)


def settings_node(value):
    """Free-form settings are written with sorted map keys, as orgsync does."""
    if isinstance(value, dict):
        return {k: settings_node(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [settings_node(v) for v in value]
    return value


def compact(mapping):
    """Leaves out absent and empty optional fields."""
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}


# ---------------------------------------------------------------------------------------------------
# The organization
# ---------------------------------------------------------------------------------------------------

ORG_ID = "acme"
PRIMARY = "core-prod"
DELETED_WS = "promo-staging"
DELETED_AT = ms("2026-11-18T16:00:00Z")
DELETED_BY = "ana"
STORY_START = ms("2026-10-21T00:00:00Z")
STORY_END = ms("2026-11-21T00:00:00Z")  # exclusive: the last day is 2026-11-20

# Real ed25519 public keys, generated once with `ssh-keygen -t ed25519 -N ''`; the private halves were discarded.
KEY_ANA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINlNGypbgr3FfFLPJ5fwpR3+uZMIvQldXMCfCNLhqSxV ana@laptop"
KEY_BEN = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEG2wwjn8TNYR4JP963tuyJDVIuafxMwiJQydiN2O7k8 ben@workstation"
KEY_FARAH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC3Llbhcfm2zHPcglfCB1zqJzAcPd6GIqjMhnIUsJ7Bs farah@macbook"

# id, name, org role, github, signing keys, removed (at, by)
MEMBERS = [
    ("ana", "Ana López", "owner", "ana-lopez", [KEY_ANA], None),
    ("ben", "Ben Okafor", "owner", "benokafor", [KEY_BEN], None),
    ("carl", "Carl Nguyen", "admin", "carl-nguyen", [], None),
    ("dana", "Dana Whitfield", "admin", "dwhitfield", [], None),
    ("bea", "Beatriz Santos", "billing", "bea-santos", [], None),
    ("farah", "Farah Haddad", "billing", None, [KEY_FARAH], None),
    ("gw-1", "Gateway instance 1 (eu-west)", "service", None, [], None),
    ("gw-2", "Gateway instance 2 (us-east)", "service", None, [], None),
    ("eli", "Eli Brandt", "member", "elibrandt", [], None),
    ("gus", "Gus Moreau", "member", None, [], None),
    ("hana", "Hana Kobayashi", "member", "hana-k", [], None),
    ("ivan", "Ivan Petrov", "member", None, [], None),
    ("jun", "Jun Takahashi", "member", "juntakahashi", [], None),
    ("kofi", "Kofi Mensah", "member", "kofimensah", [], None),
    ("lena", "Lena Müller", "member", None, [], None),
    ("mira", "Mira Shah", "member", "mirashah", [], None),
    ("omar", "Omar Farouk", "member", "ofarouk", [], ("2026-11-12T09:00:00Z", "carl")),
]
MEMBER_EMAIL = {
    "gw-1": "gw-1@acme.example",
    "gw-2": "gw-2@acme.example",
}

PROVIDERS = [
    ("openai-main", "openai", "env:OPENAI_API_KEY", True),
    ("openai-batch", "openai", "file:/etc/orgsync/openai-batch.key", False),
    ("anthropic-main", "anthropic", "vault:secret/ai/anthropic", True),
    ("google-vertex", "google", "vault:secret/ai/google-vertex", True),
    ("mistral-main", "mistral", "env:MISTRAL_API_KEY", True),
    ("elevenlabs-main", "elevenlabs", "vault:secret/ai/elevenlabs", True),
]

# Workspaces. members: (member, role, member limits or None). Usage members are the admins and members.
WORKSPACES = [
    {
        "id": "core-prod", "name": "Core Platform (production)", "primary": True,
        "members": [("ana", "admin", None), ("ben", "admin", None), ("carl", "member", None),
                    ("eli", "member", None), ("bea", "viewer", None), ("farah", "viewer", None)],
        "providers": {},
        "keys": [("core-prod-ops", "Ops automation", "ana", "2026-10-21T10:05:00Z", None, None)],
        "limits": None,
        "settings": {
            "routing": {"default-model": "gpt-4o-mini", "fallback": ["claude-sonnet-4"]},
            "audit": {"log-prompts": False, "retention-days": 30},
        },
        "per_day": 4, "tools": (6, 1, 0.3, 1, 1),
    },
    {
        "id": "chat-prod", "name": "Chat Assistant (production)",
        "members": [("carl", "admin", None), ("eli", "member", None), ("gus", "member", None),
                    ("hana", "member", {"daily": cr("120"), "alertAt": 80}), ("ana", "viewer", None)],
        "providers": {"pin": {"anthropic": "anthropic-main"}},
        "keys": [("chat-prod-backend", "Backend service", "carl", "2026-10-21T11:20:00Z", None, None),
                 ("chat-prod-widget", "Website chat widget", "carl", "2026-11-02T09:30:00Z", "2027-05-02T09:30:00Z", None)],
        "limits": {"daily": cr("200"), "monthly": cr("2500"), "alertAt": 80},
        "settings": {
            "routing": {
                "default-model": "gpt-4o-mini",
                "fallback": ["claude-sonnet-4", "mistral-large"],
                "rules": [
                    {"match": "intent == 'escalation'", "model": "gpt-4o"},
                    {"match": "language != 'en'", "model": "claude-sonnet-4"},
                ],
                "max-output-tokens": Plain("2048"),
                "temperature": Plain("0.3"),
            },
            "mcp": {
                "servers": [
                    {"name": "crm", "url": "https://mcp.acme.example/crm", "tools": ["lookup_customer", "create_ticket"]},
                    {"name": "kb", "url": "https://mcp.acme.example/knowledge-base", "tools": ["search_articles"],
                     "timeout-ms": Plain("4000")},
                ],
            },
        },
        "per_day": 9, "tools": (10, 1, 0.2, 1, 1),
    },
    {
        "id": "chat-staging", "name": "Chat Assistant (staging)",
        "members": [("gus", "admin", None), ("hana", "member", None), ("jun", "member", None), ("eli", "viewer", None)],
        "providers": {"disabled": ["openai-batch"]},
        "keys": [("chat-staging-ci", "Staging CI pipeline", "omar", "2026-10-22T14:10:00Z", None, "2026-11-12T09:00:00Z")],
        "limits": None,
        "settings": {"routing": {"default-model": "gpt-4o-mini", "shadow-model": "claude-sonnet-4"}},
        "per_day": 3, "tools": (8, 1, 0.2, 1, 1),
    },
    {
        "id": "image-prod", "name": "Image Studio (production)",
        "members": [("dana", "admin", None), ("ivan", "member", None), ("lena", "member", None),
                    ("mira", "member", {"daily": cr("150"), "weekly": cr("700")})],
        "providers": {"pin": {"google": "google-vertex"}},
        "keys": [("image-prod-api", "Creative API", "dana", "2026-10-21T13:00:00Z", None, None)],
        "limits": {"daily": cr("450"), "weekly": cr("2500"), "alertAt": 75},
        "settings": {
            "routing": {"default-model": "imagen-3", "hd-model": "dall-e-3", "safety-filter": "strict"},
            "output": {"formats": ["png", "webp"], "max-resolution": "2048x2048"},
        },
        "per_day": 7, "tools": (1, 8, 1.5, 0.3, 0.3),
    },
    {
        "id": "image-dev", "name": "Image Studio (development)",
        "members": [("ivan", "admin", None), ("lena", "member", None), ("kofi", "member", None)],
        "providers": {"disabled": ["anthropic-main"]},
        "keys": [("image-dev-sandbox", "Sandbox notebooks", "ivan", "2026-10-23T10:00:00Z", "2026-12-31T23:59:59Z", None)],
        "limits": None,
        "settings": None,
        "per_day": 3, "tools": (1, 6, 1, 0.3, 0.3),
    },
    {
        "id": "voice-prod", "name": "Voice Agents (production)",
        "members": [("dana", "admin", None), ("kofi", "member", None), ("mira", "member", None), ("jun", "viewer", None)],
        "providers": {"pin": {"openai": "openai-main"}},
        "keys": [("voice-prod-ivr", "IVR gateway", "dana", "2026-10-21T15:45:00Z", None, None)],
        "limits": None,
        "settings": {
            "speech": {"voice": "alloy", "sample-rate": Plain("24000")},
            "mcp": {"servers": [{"name": "telephony", "url": "https://mcp.acme.example/telephony",
                                 "tools": ["transfer_call", "hang_up"]}]},
        },
        "per_day": 6, "tools": (2, 0.3, 0.2, 5, 6),
    },
    {
        "id": "search-prod", "name": "Semantic Search (production)",
        "members": [("carl", "admin", None), ("jun", "member", None), ("eli", "member", None)],
        "providers": {"pin": {"openai": "openai-batch"}, "disabled": ["mistral-main"]},
        "keys": [("search-prod-indexer", "Nightly indexer", "carl", "2026-10-22T08:40:00Z", None, None)],
        "limits": None,
        "settings": None,
        "per_day": 4, "tools": (8, 0.5, 0.2, 1, 0.5),
    },
    {
        "id": "promo-staging", "name": "Holiday Promo Campaign (staging)",
        "members": [("mira", "admin", None), ("lena", "member", None), ("omar", "member", None)],
        "providers": {}, "keys": [], "limits": None, "settings": None,
        "per_day": 3, "tools": (2, 5, 2, 0.5, 1),
    },
]
WS = {w["id"]: w for w in WORKSPACES}
LIVE = [w["id"] for w in WORKSPACES if w["id"] != DELETED_WS]
TOOLS = ("chat", "image", "video", "audio", "speech")

# The ledger, in story order. Amounts are decimal text; the deletion refund is computed.
# (at, by, type, fields)
LEDGER = [
    ("2026-10-21T09:00:00Z", "bea", "topup", {"credits": "20000", "reference": "invoice INV-2026-1021"}),
    # Two days in the default shared mode, then the switch to workspace budgets.
    ("2026-10-23T08:00:00Z", "bea", "mode", {"mode": "budget"}),
    ("2026-10-23T08:10:00Z", "bea", "transfer", {"to": "chat-prod", "credits": "1000", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:11:00Z", "bea", "transfer", {"to": "chat-staging", "credits": "400", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:12:00Z", "bea", "transfer", {"to": "image-prod", "credits": "2500", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:13:00Z", "bea", "transfer", {"to": "image-dev", "credits": "1200", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:14:00Z", "bea", "transfer", {"to": "voice-prod", "credits": "500", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:15:00Z", "bea", "transfer", {"to": "search-prod", "credits": "400", "memo": "October budget (pro rata)"}),
    ("2026-10-23T08:16:00Z", "bea", "transfer", {"to": "promo-staging", "credits": "800", "memo": "Holiday promo creative tests"}),
    ("2026-10-28T10:30:00Z", "farah", "transfer", {"to": "voice-prod", "credits": "500", "memo": "IVR pilot ran hotter than planned"}),
    ("2026-10-30T16:05:00Z", "farah", "transfer", {"from": "image-dev", "to": "image-prod", "credits": "250.5",
                                                   "memo": "Re-allocation: unused dev budget to production"}),
    ("2026-11-01T07:30:00Z", "ben", "topup", {"credits": "12000", "reference": "invoice INV-2026-1101"}),
    ("2026-11-01T08:00:00Z", "farah", "transfer", {"to": "chat-prod", "credits": "1300", "memo": "November budget"}),
    ("2026-11-01T08:01:00Z", "farah", "transfer", {"to": "chat-staging", "credits": "700", "memo": "November budget"}),
    ("2026-11-01T08:02:00Z", "farah", "transfer", {"to": "image-prod", "credits": "2500", "memo": "November budget"}),
    ("2026-11-01T08:03:00Z", "farah", "transfer", {"to": "image-dev", "credits": "2000", "memo": "November budget"}),
    ("2026-11-01T08:04:00Z", "farah", "transfer", {"to": "voice-prod", "credits": "600", "memo": "November budget"}),
    ("2026-11-01T08:05:00Z", "farah", "transfer", {"to": "search-prod", "credits": "500", "memo": "November budget"}),
    ("2026-11-01T08:06:00Z", "farah", "transfer", {"to": "promo-staging", "credits": "1000", "memo": "November budget"}),
    ("2026-11-04T11:45:00Z", "bea", "transfer", {"from": "chat-staging", "to": "chat-prod", "credits": "300",
                                                 "memo": "Staging underspend moved to production"}),
    ("2026-11-06T09:20:00Z", "bea", "transfer", {"from": "promo-staging", "to": "image-prod", "credits": "600",
                                                 "memo": "Promo paused for a week; lend budget to image-prod"}),
    ("2026-11-09T14:00:00Z", "ana", "topup", {"credits": "8000", "reference": "PO 4471 (Q4 expansion)"}),
    ("2026-11-09T14:30:00Z", "farah", "transfer", {"to": "image-prod", "credits": "6000", "memo": "Black Friday creative push"}),
    ("2026-11-10T10:00:00Z", "farah", "transfer", {"to": "voice-prod", "credits": "1500", "memo": "IVR launch in Spain and Mexico"}),
    ("2026-11-12T15:10:00Z", "bea", "transfer", {"from": "image-dev", "to": "image-prod", "credits": "400",
                                                 "memo": "Re-allocation after sprint review"}),
    ("2026-11-13T09:00:00Z", "bea", "transfer", {"to": "promo-staging", "credits": "900", "memo": "Final promo render pass"}),
    ("2026-11-14T17:25:00Z", "farah", "transfer", {"to": "search-prod", "credits": "750.25", "memo": "Re-index after schema change"}),
    ("2026-11-16T08:45:00Z", "bea", "transfer", {"from": "chat-prod", "to": "chat-staging", "credits": "450",
                                                 "memo": "Load test before the 2.4 release"}),
    ("2026-11-17T12:00:00Z", "ben", "topup", {"credits": "5000", "reference": "invoice INV-2026-1117"}),
    # 2026-11-18T16:00:00Z: promo-staging is deleted; its refund is appended below.
    ("2026-11-19T09:30:00Z", "farah", "transfer", {"to": "chat-prod", "credits": "800", "memo": "Holiday traffic buffer"}),
    ("2026-11-19T09:31:00Z", "farah", "transfer", {"to": "voice-prod", "credits": "800", "memo": "Holiday traffic buffer"}),
    ("2026-11-20T10:15:00Z", "bea", "transfer", {"from": "image-prod", "to": "image-dev", "credits": "1000",
                                                 "memo": "December prototypes start early"}),
]

# Models per tool: (model, credit units per measure, measure range, provider-cost factor in 1e-10 USD per unit)
MODELS = {
    "chat": [("gpt-4o-mini", 2, (300, 9000), 6000), ("gpt-4o", 25, (300, 6000), 7200),
             ("claude-sonnet-4", 30, (300, 5000), 7500), ("mistral-large", 15, (300, 6000), 6500)],
    "image": [("imagen-3", 120000, (1, 4), 7000), ("dall-e-3", 160000, (1, 4), 7500), ("sdxl", 80000, (1, 4), 5000)],
    "video": [("veo-2", 120000, (4, 12), 8000), ("runway-gen3", 100000, (4, 10), 7000)],
    "audio": [("whisper-1", 200, (20, 1500), 6000)],
    "speech": [("tts-1", 50, (150, 4000), 6000), ("eleven-turbo", 80, (150, 3000), 7000)],
}

# Members who spend in each workspace (admins and members; viewers only look).
def spenders(ws_id):
    return [m for (m, role, _) in WS[ws_id]["members"] if role != "viewer"]


REMOVED = {m[0]: ms(m[5][0]) for m in MEMBERS if m[5]}


# ---------------------------------------------------------------------------------------------------
# Usage generation
# ---------------------------------------------------------------------------------------------------

def generate_usage():
    """Usage records per workspace. Returns a list of dicts with integer units and millisecond times."""
    rng = random.Random("acme-usage-v1")
    ids = random.Random("acme-usage-ids-v1")
    records = []
    import_seq = {}
    shared_until = ms("2026-10-23T08:00:00Z")
    for ws_id in [w["id"] for w in WORKSPACES]:
        w = WS[ws_id]
        day = STORY_START
        while day < STORY_END:
            start = day + 6 * 3_600_000
            end = day + DAY_MS - 60_000
            if day == STORY_START:
                start = ms("2026-10-21T09:30:00Z")  # after the first top-up
            if day == ms("2026-10-23T00:00:00Z"):
                start = ms("2026-10-23T09:00:00Z")  # budget mode: after the allocations
            if ws_id == DELETED_WS:
                end = min(end, DELETED_AT - 3_600_000)
                if start >= end:
                    break
            weekend = (EPOCH + dt.timedelta(milliseconds=day)).weekday() >= 5
            base = w["per_day"]
            if weekend:
                base = max(1, base // 2)
            count = rng.randint(max(1, base - 2), base + 2)
            if ws_id == DELETED_WS and ms("2026-11-06T00:00:00Z") <= day < ms("2026-11-13T00:00:00Z"):
                count = rng.randint(0, 1)  # the promo paused for a week
            for _ in range(count):
                at = rng.randrange(start, end)
                who = rng.choice(spenders(ws_id))
                if who in REMOVED and at >= REMOVED[who]:
                    who = rng.choice([m for m in spenders(ws_id) if m not in REMOVED])
                tool = rng.choices(TOOLS, weights=w["tools"])[0]
                model, rate, (lo, hi), factor = rng.choice(MODELS[tool])
                measure = rng.randint(lo, hi)
                units = rate * measure
                if tool == "chat":
                    units = max(units, 1)
                imported = rng.random() < 0.1
                writer = rng.choice(["gw-1", "gw-2"])
                rec = {"ws": ws_id, "writer": writer, "member": who, "tool": tool, "units": units}
                if imported:
                    at -= at % 1000  # imports carry whole seconds
                    key = day_of(at)
                    import_seq[key] = import_seq.get(key, 0) + 1
                    rec["id"] = "imp-%04d-%02d-%02d-%06d" % (key + (import_seq[key],))
                    rec["model"] = model if rng.random() < 0.5 else None
                    rec["tokens"] = measure if tool == "chat" and rec["model"] else None
                    rec["cost"] = None
                else:
                    rec["id"] = ulid(at, ids)
                    rec["model"] = model
                    rec["tokens"] = measure if tool == "chat" else None
                    rec["cost"] = fmt_decimal(units * factor, 10) if rng.random() < 0.8 else None
                rec["at"] = at
                records.append(rec)
            day += DAY_MS
    # A cost is provider money (USD) with at most 10 fractional digits: units * factor is in 1e-10 USD.
    for rec in records:
        if rec["cost"] is not None:
            whole, _, frac = rec["cost"].partition(".")
            check(len(frac) <= 10, "cost with more than 10 fractional digits: " + rec["cost"])
    return records


# ---------------------------------------------------------------------------------------------------
# Ledger replay (FORMAT.md "Balances: the ledger replay")
# ---------------------------------------------------------------------------------------------------

def replay(events, usage, tombstones, label):
    """Replays events and usage in (at, id) order. tombstones: ws -> (at, consumed, chargedToPrimary).

    Returns the final balances of live workspaces, the totals and the balance of every workspace just
    before each deletion's closing check.
    """
    steps = []
    for ws_id, (at, consumed, charged) in tombstones.items():
        steps.append(((at, 0, ws_id.encode()), ("charge-deleted", ws_id)))
        steps.append(((at, 2, ws_id.encode()), ("close", ws_id)))
    for e in events:
        steps.append(((e["at"], 1, e["id"].encode()), ("event", e)))
    for r in usage:
        steps.append(((r["at"], 1, r["id"].encode()), ("usage", r)))
    keys = [k for k, _ in steps]
    check(len(set(keys)) == len(keys), label + ": two steps share (at, id)")
    steps.sort(key=lambda s: s[0])

    balances = {w["id"]: 0 for w in WORKSPACES}
    deleted = set()
    mode = "shared"
    added = transferred = consumed_total = 0
    consumed_by_ws = {}
    for (at, _, _), (kind, item) in steps:
        where = "%s at %s" % (label, fmt_time(at))
        if kind == "event":
            e = item
            if e["type"] == "topup":
                balances[PRIMARY] += e["units"]
                added += e["units"]
            elif e["type"] == "mode":
                check(e["mode"] != mode, where + ": mode event changes nothing")
                if e["mode"] == "shared":
                    check(all(v == 0 for k, v in balances.items() if k != PRIMARY and k not in deleted),
                          where + ": switching to shared with funded workspaces")
                mode = e["mode"]
            else:
                src, dst, amount = e["from"], e["to"], e["units"]
                check(mode == "budget", where + ": transfer in shared mode")
                check(src != dst, where + ": transfer to itself")
                check(src in balances and dst in balances, where + ": unknown workspace")
                check(src not in deleted and dst not in deleted, where + ": transfer touches a deleted workspace")
                check(amount > 0, where + ": transfer of nothing")
                check(amount <= balances[src], where + ": transfer of %s from %s exceeds its %s"
                      % (fmt_credits(amount), src, fmt_credits(balances[src])))
                if e.get("reason") == "deletion":
                    check(src in tombstones and tombstones[src][0] == at and dst == PRIMARY, where + ": bad refund")
                balances[src] -= amount
                balances[dst] += amount
                transferred += amount
        elif kind == "usage":
            r = item
            check(r["ws"] not in deleted, where + ": usage in a deleted workspace")
            payer = r["ws"] if mode == "budget" else PRIMARY
            check(r["units"] <= balances[payer], where + ": usage of %s by %s in %s exceeds the %s left in %s"
                  % (fmt_credits(r["units"]), r["member"], r["ws"], fmt_credits(balances[payer]), payer))
            balances[payer] -= r["units"]
            consumed_total += r["units"]
            consumed_by_ws[r["ws"]] = consumed_by_ws.get(r["ws"], 0) + r["units"]
        elif kind == "charge-deleted":
            _, consumed, charged = tombstones[item]
            check(charged <= consumed, where + ": chargedToPrimary exceeds consumed")
            balances[item] -= consumed - charged
            balances[PRIMARY] -= charged
            check(balances[item] >= 0 and balances[PRIMARY] >= 0, where + ": tombstone consumption overdraws")
            consumed_total += consumed
            consumed_by_ws[item] = consumed_by_ws.get(item, 0) + consumed
        else:  # close
            check(balances[item] == 0, where + ": %s deleted with %s left" % (item, fmt_credits(balances[item])))
            deleted.add(item)
            del balances[item]
    check(mode == "budget", label + ": the story must end in budget mode")
    check(all(v >= 0 for v in balances.values()), label + ": negative balance")
    return {"balances": balances, "added": added, "transferred": transferred, "consumed": consumed_total,
            "by_ws": consumed_by_ws, "mode": mode}


def balance_before(events, usage, ws_id, at):
    """The real-history balance of ws_id just before instant `at` (events and usage strictly earlier)."""
    mode = "shared"
    bal = 0
    merged = [((e["at"], e["id"].encode()), "e", e) for e in events] + [((r["at"], r["id"].encode()), "u", r) for r in usage]
    merged.sort(key=lambda m: m[0])
    for (t, _), kind, item in merged:
        if t >= at:
            break
        if kind == "e":
            if item["type"] == "mode":
                mode = item["mode"]
            elif item["type"] == "transfer":
                if item["from"] == ws_id:
                    bal -= item["units"]
                if item["to"] == ws_id:
                    bal += item["units"]
            elif ws_id == PRIMARY:
                bal += item["units"]
        elif mode == "budget" and item["ws"] == ws_id:
            bal -= item["units"]
        elif mode == "shared" and ws_id == PRIMARY:
            bal -= item["units"]
    return bal


# ---------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------

def build():
    files = {}
    event_ids = random.Random("acme-ledger-ids-v1")

    # Ledger events (without the refund).
    events = []
    for at_text, by, typ, fields in LEDGER:
        at = ms(at_text)
        e = {"id": ulid(at, event_ids), "at": at, "by": by, "type": typ}
        if typ == "topup":
            e["units"] = cr(fields["credits"])
            e["reference"] = fields.get("reference")
        elif typ == "transfer":
            e["from"] = fields.get("from", PRIMARY)
            e["to"] = fields["to"]
            e["units"] = cr(fields["credits"])
            e["memo"] = fields.get("memo")
            e["reason"] = None
        else:
            e["mode"] = fields["mode"]
        events.append(e)

    usage = generate_usage()
    mode_at = ms("2026-10-23T08:00:00Z")
    promo_usage = [r for r in usage if r["ws"] == DELETED_WS]
    live_usage = [r for r in usage if r["ws"] != DELETED_WS]
    check(all(r["at"] < DELETED_AT for r in promo_usage), "promo-staging usage after its deletion")
    promo_consumed = sum(r["units"] for r in promo_usage)
    promo_charged_to_primary = sum(r["units"] for r in promo_usage if r["at"] < mode_at)

    # The deletion refund: promo-staging's real balance at its deletion instant.
    refund_units = balance_before(events, usage, DELETED_WS, DELETED_AT)
    check(refund_units >= 0, "promo-staging is negative before its deletion")
    if refund_units > 0:
        events.append({"id": ulid(DELETED_AT, event_ids), "at": DELETED_AT, "by": DELETED_BY, "type": "transfer",
                       "from": DELETED_WS, "to": PRIMARY, "units": refund_units, "memo": "Workspace deleted",
                       "reason": "deletion"})
    for e in events:
        touches = {e.get("from"), e.get("to")}
        if DELETED_WS in touches:
            check(e["at"] <= DELETED_AT, "an event names promo-staging after its deletion")
    events.sort(key=lambda e: (e["at"], e["id"].encode()))

    # Replay 1: the real history (promo usage present; deletion closes it after the refund).
    real = replay(events, usage, {DELETED_WS: (DELETED_AT, 0, 0)}, "real history")
    # Replay 2: the repository as written (promo usage gone; tombstone charges `consumed` at deletion).
    repo = replay(events, live_usage, {DELETED_WS: (DELETED_AT, promo_consumed, promo_charged_to_primary)}, "repository")
    check(real["balances"] == repo["balances"], "the two replays disagree on final balances")
    check(real["consumed"] == repo["consumed"], "the two replays disagree on consumption")

    # Rules on usage that the replay does not cover.
    for r in usage:
        check(r["member"] in spenders(r["ws"]), "usage member %s not assigned to %s" % (r["member"], r["ws"]))
        if r["member"] in REMOVED:
            check(r["at"] <= REMOVED[r["member"]], "usage by a removed member after removal")
            check(r["ws"] == DELETED_WS, "the removed member's usage should only be in the deleted workspace")
        check(RECORD_ID_RE.match(r["id"]) is not None, "bad record id " + r["id"])
    for ws_id in LIVE:
        tools = {r["tool"] for r in live_usage if r["ws"] == ws_id}
        check(tools == set(TOOLS), "%s does not use every tool: %s" % (ws_id, sorted(tools)))
    check(len({r["id"] for r in usage}) == len(usage), "duplicate usage record ids")
    check_limits(usage)

    # ---- org.yaml
    files["org.yaml"] = render({
        "schema": Plain("1"),
        "id": ORG_ID,
        "name": "Acme Corp",
        "policy": {
            "approvals": [
                {"name": "large-transfers", "when": {"transferAtLeast": Plain("5000")}, "require": Plain("2"),
                 "from": ["owner", "billing"]},
                {"name": "top-ups", "when": {"topup": Plain("true")}, "require": Plain("1"), "from": ["owner"]},
                {"name": "mode-changes", "when": {"modeChange": Plain("true")}, "require": Plain("2"), "from": ["owner"]},
                {"name": "owners-and-provider-keys", "when": {"ownerChange": Plain("true"), "paths": ["providers.yaml", "org.yaml"]},
                 "require": Plain("1"), "from": ["owner"]},
            ],
        },
    })

    # ---- providers.yaml
    defaults = {}
    for pid, provider, ref, is_default in PROVIDERS:
        check(SLUG_RE.match(pid) and SLUG_RE.match(provider), "bad provider key id")
        check(re.fullmatch(r"(env:[A-Za-z_][A-Za-z0-9_]*|file:\S+|vault:\S+)", ref) is not None, "bad secretRef " + ref)
        if is_default:
            check(provider not in defaults, "two defaults for " + provider)
            defaults[provider] = pid
    files["providers.yaml"] = render({"providers": [
        compact({"id": pid, "provider": provider, "secretRef": ref, "default": Plain("true") if d else None})
        for pid, provider, ref, d in PROVIDERS]})
    provider_of = {p[0]: p[1] for p in PROVIDERS}

    # ---- members
    emails = set()
    for mid, name, role, github, keys, removed in MEMBERS:
        check(SLUG_RE.match(mid) is not None, "bad member id")
        email = MEMBER_EMAIL.get(mid) or "%s@acme.example" % name_to_local(name)
        check(email == email.lower() and email not in emails, "email not unique/lowercase: " + email)
        emails.add(email)
        node = compact({
            "id": mid, "email": email, "name": name, "role": role, "github": github, "signingKeys": keys,
            "removed": {"at": Plain(fmt_time(ms(removed[0]))), "by": removed[1]} if removed else None,
        })
        files["members/%s.yaml" % mid] = render(node)
    member_ids = {m[0] for m in MEMBERS}
    roles = {}
    for m in MEMBERS:
        if not m[5]:
            roles[m[2]] = roles.get(m[2], 0) + 1
    check(roles.get("owner", 0) >= 2 and roles.get("admin", 0) >= 2 and roles.get("billing", 0) >= 2
          and roles.get("service", 0) >= 2 and roles.get("member", 0) >= 4, "not every org role is staffed")
    for e in events:
        check(e["by"] in member_ids and e["by"] not in REMOVED, "event by unknown or removed member")
        check(dict((m[0], m[2]) for m in MEMBERS)[e["by"]] in ("owner", "billing"), "event by a non-billing member")

    # ---- API keys and workspaces
    secrets = random.Random("acme-api-key-secrets-v1")
    key_ids, hashes, all_secrets = set(), set(), []
    for w in WORKSPACES:
        ws_id = w["id"]
        if ws_id == DELETED_WS:
            files["workspaces/%s.yaml" % ws_id] = render({
                "id": ws_id, "name": w["name"],
                "deleted": compact({
                    "at": Plain(fmt_time(DELETED_AT)), "by": DELETED_BY,
                    "consumed": Plain(fmt_credits(promo_consumed)),
                    "chargedToPrimary": Plain(fmt_credits(promo_charged_to_primary)) if promo_charged_to_primary else None,
                }),
            })
            continue
        assigned = set()
        members = []
        for mid, role, limits in w["members"]:
            check(mid in member_ids and mid not in REMOVED and mid not in assigned, "bad assignment " + mid)
            assigned.add(mid)
            members.append(compact({"member": mid, "role": role, "limits": limits_node(limits)}))
        providers = w["providers"]
        for prov, kid in providers.get("pin", {}).items():
            check(provider_of.get(kid) == prov, "pin %s: %s is not a %s key" % (ws_id, kid, prov))
            check(kid not in providers.get("disabled", []), "pinned and disabled")
        for kid in providers.get("disabled", []):
            check(kid in provider_of, "disabled key unknown")
        keys = []
        for kid, kname, created_by, created_at, expires_at, revoked_at in w["keys"]:
            secret = "osk_" + "".join(secrets.choice(BASE62) for _ in range(40))
            all_secrets.append(secret)
            digest = "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()
            check(kid not in key_ids and digest not in hashes, "duplicate API key")
            check(created_by in member_ids, "key creator unknown")
            key_ids.add(kid)
            hashes.add(digest)
            if expires_at:
                check(ms(expires_at) > ms(created_at), "key expires before creation")
            if revoked_at:
                check(ms(revoked_at) >= ms(created_at), "key revoked before creation")
            keys.append(compact({
                "id": kid, "name": kname, "prefix": secret[:8], "hash": digest, "createdBy": created_by,
                "createdAt": Plain(fmt_time(ms(created_at))),
                "expiresAt": Plain(fmt_time(ms(expires_at))) if expires_at else None,
                "revokedAt": Plain(fmt_time(ms(revoked_at))) if revoked_at else None,
            }))
        node = compact({
            "id": ws_id, "name": w["name"],
            "primary": Plain("true") if w.get("primary") else None,
            "members": members,
            "providers": compact({
                "pin": {p: providers["pin"][p] for p in sorted(providers.get("pin", {}))},
                "disabled": providers.get("disabled", []),
            }),
            "keys": keys,
            "limits": limits_node(w["limits"]),
            "settings": settings_node(w["settings"]) if w["settings"] else None,
        })
        files["workspaces/%s.yaml" % ws_id] = render(node)
    check(len(key_ids) >= 5, "fewer than 5 API keys")

    # ---- ledger
    for e in events:
        node = {"id": e["id"], "at": Plain(fmt_time(e["at"])), "by": e["by"], "type": e["type"]}
        if e["type"] == "topup":
            node.update(compact({"credits": Plain(fmt_credits(e["units"])), "reference": e.get("reference")}))
        elif e["type"] == "transfer":
            node.update(compact({"from": e["from"], "to": e["to"], "credits": Plain(fmt_credits(e["units"])),
                                 "memo": e.get("memo"), "reason": e.get("reason")}))
        else:
            node["mode"] = e["mode"]
        y, m, _ = day_of(e["at"])
        files["ledger/%04d/%02d/%s.yaml" % (y, m, e["id"])] = render(node)
    check(len(events) >= 30, "fewer than 30 ledger events")

    # ---- usage (live workspaces only: promo-staging's files were removed with it)
    by_file = {}
    for r in sorted(live_usage, key=lambda r: (r["at"], r["id"].encode())):
        y, m, d = day_of(r["at"])
        path = "usage/%s/%04d/%02d/%02d-%s.jsonl" % (r["ws"], y, m, d, r["writer"])
        by_file.setdefault(path, []).append(usage_line(r))
    for path, lines in by_file.items():
        files[path] = "".join(line + "\n" for line in lines)

    files["README.md"] = readme(events, live_usage, promo_usage, promo_consumed, promo_charged_to_primary,
                                refund_units, repo, by_file)

    scan_for_secrets(files, all_secrets)
    return files, events, usage, live_usage, repo, promo_consumed, promo_charged_to_primary, refund_units, by_file


def name_to_local(name):
    ascii_name = name.replace("ó", "o").replace("ü", "ue")
    return ".".join(part.lower() for part in ascii_name.split())


def limits_node(limits):
    if not limits:
        return None
    return compact({
        "daily": Plain(fmt_credits(limits["daily"])) if "daily" in limits else None,
        "weekly": Plain(fmt_credits(limits["weekly"])) if "weekly" in limits else None,
        "monthly": Plain(fmt_credits(limits["monthly"])) if "monthly" in limits else None,
        "alertAt": Plain(str(limits["alertAt"])) if "alertAt" in limits else None,
    })


def usage_line(r):
    out = '{"id":%s,"at":"%s","member":%s,"tool":"%s","credits":%s' % (
        json_string(r["id"]), fmt_time(r["at"]), json_string(r["member"]), r["tool"], fmt_credits(r["units"]))
    if r["model"] is not None:
        out += ',"model":%s' % json_string(r["model"])
    if r["tokens"] is not None:
        out += ',"tokens":%d' % r["tokens"]
    if r["cost"] is not None:
        out += ',"cost":%s' % r["cost"]
    line = out + "}"
    parsed = json.loads(line)
    check(list(parsed) == [k for k in ("id", "at", "member", "tool", "credits", "model", "tokens", "cost") if k in parsed],
          "usage line key order")
    return line


def check_limits(usage):
    """Caps (U4) are hard: the sample never exceeds one, for any UTC day, calendar month or 7-day window."""
    def totals(records, period):
        out = {}
        for r in records:
            out[period(r["at"])] = out.get(period(r["at"]), 0) + r["units"]
        return out

    def max_week(records):
        days = totals(records, lambda t: t // DAY_MS)
        best = 0
        for start in days:
            best = max(best, sum(days.get(start + k, 0) for k in range(7)))
        return best

    def check_caps(records, limits, what):
        if not limits:
            return
        if "daily" in limits:
            worst = max(totals(records, lambda t: t // DAY_MS).values(), default=0)
            check(worst <= limits["daily"], "%s exceeds its daily cap: %s" % (what, fmt_credits(worst)))
        if "weekly" in limits:
            worst = max_week(records)
            check(worst <= limits["weekly"], "%s exceeds its weekly cap: %s" % (what, fmt_credits(worst)))
        if "monthly" in limits:
            worst = max(totals(records, lambda t: day_of(t)[:2]).values(), default=0)
            check(worst <= limits["monthly"], "%s exceeds its monthly cap: %s" % (what, fmt_credits(worst)))

    for w in WORKSPACES:
        records = [r for r in usage if r["ws"] == w["id"]]
        check_caps(records, w["limits"], w["id"])
        for mid, _, limits in w["members"]:
            check_caps([r for r in records if r["member"] == mid], limits, "%s in %s" % (mid, w["id"]))


SECRET_SHAPES = [
    ("osk_", 32, lambda c: c in BASE62),
    ("sk-", 20, lambda c: c in BASE62 or c in "-_"),
    ("AKIA", 16, lambda c: c.isascii() and (c.isdigit() or c.isupper())),
    ("ASIA", 16, lambda c: c.isascii() and (c.isdigit() or c.isupper())),
    ("ghp_", 36, lambda c: c in BASE62),
    ("github_pat_", 22, lambda c: c in BASE62 or c in "-_"),
    ("AIza", 35, lambda c: c in BASE62 or c in "-_"),
    ("xoxb-", 10, lambda c: c in BASE62 or c in "-_"),
]


def scan_for_secrets(files, secrets):
    """The same shapes the validator scans for (Sources/OrgModel/SecretScanner.swift), and the real secrets."""
    for path, text in files.items():
        for secret in secrets:
            check(secret not in text and secret[8:] not in text, "an API key secret leaked into " + path)
        check("PRIVATE KEY" not in text, "a private key block in " + path)
        for i in range(len(text)):
            if i > 0 and (text[i - 1] in BASE62 or text[i - 1] in "-_"):
                continue
            for prefix, minimum, alphabet in SECRET_SHAPES:
                if text.startswith(prefix, i):
                    j = i + len(prefix)
                    while j < len(text) and alphabet(text[j]):
                        j += 1
                    check(j - i - len(prefix) < minimum, "%s looks like a secret at offset %d" % (path, i))


# ---------------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------------

def readme(events, live_usage, promo_usage, consumed, charged, refund, repo, by_file):
    topups = [e for e in events if e["type"] == "topup"]
    transfers = [e for e in events if e["type"] == "transfer"]
    lines = []
    add = lines.append
    add("# Acme Corp: a sample organization")
    add("")
    add("This folder is a complete orgsync repository (format 1, see `docs/FORMAT.md`) for a fictional")
    add("company, Acme Corp, over one month: 2026-10-21 to 2026-11-20 (UTC). It is generated by")
    add("`scripts/make-sample-acme.py`, deterministically; do not edit it by hand, change the script and")
    add("run it again. Try it with:")
    add("")
    add("```")
    add("orgsync validate --repo samples/acme")
    add("orgsync balances --repo samples/acme")
    add("orgsync usage report --repo samples/acme --by workspace")
    add("```")
    add("")
    add("## Who")
    add("")
    add("- Owners: Ana López (`ana`) and Ben Okafor (`ben`). Ana, Ben and Farah sign their commits (`signingKeys`).")
    add("- Admins: Carl Nguyen (`carl`) runs chat and search, Dana Whitfield (`dana`) runs image and voice.")
    add("- Billing: Beatriz Santos (`bea`) and Farah Haddad (`farah`) make the top-ups and transfers.")
    add("- Services: the two AI gateway instances `gw-1` and `gw-2`, which write the usage files.")
    add("- Members: Eli, Gus, Hana, Ivan, Jun, Kofi, Lena and Mira. Omar Farouk (`omar`), a contractor on")
    add("  the holiday promo, was removed on 2026-11-12; his file stays so that the history naming him")
    add("  (the revoked `chat-staging-ci` key) still resolves.")
    add("")
    add("## Workspaces")
    add("")
    add("| workspace | name | notes |")
    add("|---|---|---|")
    notes = {
        "core-prod": "the Primary: top-ups land here, budgets leave from here",
        "chat-prod": "caps (daily 200, monthly 2,500), Hana capped at 120 a day, pins the Anthropic key, routing and MCP settings",
        "chat-staging": "disables the `openai-batch` key; its CI key was revoked when Omar left",
        "image-prod": "caps (daily 450, weekly 2,500), Mira capped, pins the Google key",
        "image-dev": "disables the Anthropic key; its sandbox key expires at the end of 2026",
        "voice-prod": "pins `openai-main`, MCP telephony server",
        "search-prod": "pins the `openai-batch` key for indexing, disables Mistral",
    }
    for w in WORKSPACES:
        if w["id"] == DELETED_WS:
            add("| `%s` | %s | deleted on 2026-11-18; only its tombstone is left |" % (w["id"], w["name"]))
        else:
            add("| `%s` | %s | %s |" % (w["id"], w["name"], notes[w["id"]]))
    add("")
    add("Provider keys (`providers.yaml`) are references only: environment variables, files and Vault paths.")
    add("API keys are stored as a prefix and a SHA-256 hash; the secrets themselves were never written.")
    add("")
    add("## The story")
    add("")
    add("1. 2026-10-21: Bea tops up 20,000 credits. They land in the Primary, `core-prod`. For two days the")
    add("   organization runs in the default shared mode: every workspace spends from the Primary.")
    add("2. 2026-10-23: Bea switches to budget mode and allocates October budgets from `core-prod` to each")
    add("   workspace. From then on each workspace spends only its own balance.")
    add("3. 2026-11-01: Ben tops up 12,000 credits and Farah allocates the November budgets. During the month")
    add("   billing re-allocates between workspaces (staging underspend to production, a Black Friday push for")
    add("   `image-prod`, more for the voice launch) and tops up twice more.")
    add("4. 2026-11-18: Ana deletes `promo-staging`. Its usage files are removed; its tombstone records the")
    add("   %s credits it consumed, %s of them charged to the Primary while in shared mode, and a transfer"
        % (fmt_credits_h(consumed), fmt_credits_h(charged)))
    add("   with `reason: deletion` returns its remaining %s credits to `core-prod` at the same instant."
        % fmt_credits_h(refund))
    add("5. The organization ends in budget mode.")
    add("")
    add("## In numbers")
    add("")
    add("- %d ledger events: %d top-ups (%s credits), %d transfers, 1 mode change."
        % (len(events), len(topups), fmt_credits_h(repo["added"]), len(transfers)))
    add("- %d usage records in %d files, across all five tools (chat, image, video, audio, speech), written"
        % (len(live_usage), len(by_file)))
    add("  by `gw-1` and `gw-2`; about one in ten carries an import idempotency key (`imp-…`) instead of a ULID.")
    add("- %s credits consumed in all, promo-staging included." % fmt_credits_h(repo["consumed"]))
    add("")
    add("Final balances:")
    add("")
    add("| workspace | balance |")
    add("|---|---:|")
    for ws_id in LIVE:
        add("| `%s` | %s |" % (ws_id, fmt_credits_h(repo["balances"][ws_id])))
    add("| total | %s |" % fmt_credits_h(sum(repo["balances"].values())))
    add("")
    return "\n".join(lines)


def fmt_credits_h(units):
    text = fmt_credits(units)
    whole, _, frac = text.partition(".")
    whole = "{:,}".format(int(whole))
    return whole + ("." + frac if frac else "")


# ---------------------------------------------------------------------------------------------------

def main():
    files, events, usage, live_usage, repo, consumed, charged, refund, by_file = build()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for path in sorted(files):
        full = os.path.join(OUT, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as f:
            f.write(files[path])

    kinds = {}
    for path in files:
        kind = path.split("/")[0] if "/" in path else path
        kinds[kind] = kinds.get(kind, 0) + 1
    print("wrote %d files to %s" % (len(files), os.path.relpath(OUT, ROOT)))
    for kind in sorted(kinds):
        print("  %-16s %d" % (kind, kinds[kind]))
    print("ledger events: %d; usage records: %d written (+%d of promo-staging, removed with it)"
          % (len(events), len(live_usage), len(usage) - len(live_usage)))
    print("promo-staging: consumed %s, chargedToPrimary %s, refund %s"
          % (fmt_credits(consumed), fmt_credits(charged), fmt_credits(refund)))
    print("final balances (budget mode):")
    for ws_id in LIVE:
        print("  %-14s %12s" % (ws_id, fmt_credits(repo["balances"][ws_id])))
    total = sum(repo["balances"].values())
    print("  %-14s %12s" % ("total", fmt_credits(total)))
    print("added %s, transferred %s, consumed %s"
          % (fmt_credits(repo["added"]), fmt_credits(repo["transferred"]), fmt_credits(repo["consumed"])))
    check(repo["added"] - repo["consumed"] == total, "added - consumed != sum of balances")
    print("consumed by workspace:")
    for ws_id in sorted(repo["by_ws"]):
        print("  %-14s %12s" % (ws_id, fmt_credits(repo["by_ws"][ws_id])))


if __name__ == "__main__":
    main()
