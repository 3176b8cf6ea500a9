#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (Fuzz/Corpus/<target>/) from the sample organization, samples/acme.

Run from the repository root after changing samples/acme or a target's input format; the seeds are
committed. Reproducers of fixed findings are kept in the same folders, by hand, under names starting with
'finding-'; this script leaves them alone.
"""
import csv, io, json, os, pathlib, struct

root = pathlib.Path(__file__).resolve().parent.parent
acme = root / "samples" / "acme"
corpus = root / "Fuzz" / "Corpus"


def read(path):
    return (acme / path).read_bytes()


def write(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def first_event(kind):
    for path in sorted((acme / "ledger").rglob("*.yaml")):
        if f"type: {kind}\n" in path.read_text():
            return path.relative_to(acme)
    raise SystemExit(f"no {kind} event in samples/acme")


def as_json(yaml_text):
    """A flat or nested sample file as JSON, by a small reader for the canonical YAML orgsync writes."""
    import re
    lines = [l for l in yaml_text.splitlines() if l.strip()]

    def scalar(text):
        if re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", text):
            return json.loads(text)
        if text in ("true", "false"):
            return text == "true"
        return json.loads(text) if text.startswith('"') else text

    def block(index, indent):
        if lines[index].lstrip().startswith("- "):
            items = []
            while index < len(lines) and len(lines[index]) - len(lines[index].lstrip()) == indent and lines[index].lstrip().startswith("- "):
                rest = lines[index].lstrip()[2:]
                if ":" in rest and not rest.startswith('"'):
                    lines[index] = " " * (indent + 2) + rest
                    value, index = block(index, indent + 2)
                else:
                    value, index = scalar(rest), index + 1
                items.append(value)
            return items, index
        mapping = {}
        while index < len(lines) and len(lines[index]) - len(lines[index].lstrip()) == indent and not lines[index].lstrip().startswith("- "):
            key, _, rest = lines[index].strip().partition(":")
            rest = rest.strip()
            if rest:
                mapping[key], index = scalar(rest), index + 1
            else:
                child = len(lines[index + 1]) - len(lines[index + 1].lstrip())
                mapping[key], index = block(index + 1, child)
        return mapping, index

    return json.dumps(block(0, 0)[0], indent=2, ensure_ascii=False) + "\n"


# parsers: sample files as they are, some as JSON, usage lines, and a usage import in JSON Lines and CSV.
entities = ["org.yaml", "providers.yaml", "members/ana.yaml", "members/carl.yaml", "workspaces/chat-prod.yaml",
            "workspaces/promo-staging.yaml", first_event("topup"), first_event("transfer"), first_event("mode")]
for path in entities:
    write("parsers", str(path).replace("/", "-"), read(path))
for path in ["workspaces/chat-prod.yaml", first_event("transfer")]:
    write("parsers", str(path).replace("/", "-").replace(".yaml", ".json"), as_json(read(path).decode()))
usage_path = "usage/chat-prod/2026/11/01-gw-1.jsonl"
usage_lines = read(usage_path).decode().splitlines()[:4]
write("parsers", "usage-chat-prod-01-gw-1.jsonl", "\n".join(usage_lines) + "\n")
records = [dict(json.loads(line), workspace="chat-prod") for line in usage_lines]
write("parsers", "import.jsonl", "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
columns = ["id", "at", "workspace", "member", "tool", "credits", "model", "tokens", "cost"]
out = io.StringIO()
writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
writer.writeheader()
for r in records:
    writer.writerow({k: r.get(k, "") for k in columns})
write("parsers", "import.csv", out.getvalue())

# credits: amounts the sample writes, and the edges of the range.
for index, text in enumerate(["20000", "1000", "307.7223", "2108.1017", "0.0101", "16196.8522", "0", "-0.0001",
                              "922337203685477.5807", "-922337203685477.5807", "12.5"]):
    write("credits", f"amount-{index}", text)
write("credits", "units-edges", struct.pack(">qqqq", 0x7FFFFFFFFFFFFFFF, -0x7FFFFFFFFFFFFFFF, 1 << 40, -(1 << 40)))

# replay: the sample's story in the replay target's encoding (see FuzzReplay.swift, Scenario.init): each step
# is an operation byte, a gap byte (minutes, unless divisible by 3), an order byte, then its operands.
def whole(credits):   # amount kind 0: (v % 2000 + 1) whole credits
    return bytes([0]) + struct.pack(">H", credits - 1)
def spent(credits):   # amount kind 0 where zero is allowed (usage): v % 2000 whole credits
    return bytes([0]) + struct.pack(">H", credits)
def fraction(units):  # amount kind 3: v (+1 when zero is not allowed) ten-thousandths
    return bytes([3]) + struct.pack(">H", units)
HQ, A, B, ZZ = 0, 1, 2, 3
def topup(credits, gap=60): return bytes([0, gap, 0]) + whole(credits)
def transfer(source, to, amount, gap=1, reason=2): return bytes([1, gap, 0, source, to, reason]) + amount
def mode(shared, gap=1): return bytes([3, gap, 0, 0 if shared else 1])
def usage(ws, member, tool, amount, gap=7): return bytes([4, gap, 0, ws, member, tool]) + amount
def delete(ws, gap=10): return bytes([7, gap, 0, ws - 1, 1]) + whole(1) + bytes([0])

write("replay", "budget-month", topup(2000) + mode(False) + transfer(HQ, A, whole(1000)) + transfer(HQ, B, whole(400))
      + usage(A, 1, 0, fraction(16838)) + usage(B, 1, 1, spent(36)) + usage(HQ, 0, 4, fraction(22184)))
write("replay", "shared-then-budget", topup(500) + usage(A, 1, 0, spent(20)) + usage(B, 1, 2, spent(30)) + mode(False)
      + transfer(HQ, A, whole(100)) + usage(A, 1, 3, spent(40)))
write("replay", "deletion", topup(1000) + mode(False) + transfer(HQ, B, whole(300)) + usage(B, 1, 0, spent(120))
      + delete(B) + transfer(HQ, A, whole(50)))
write("replay", "back-to-shared", topup(800) + mode(False) + transfer(HQ, A, whole(200)) + usage(A, 1, 1, spent(50))
      + transfer(A, HQ, whole(150), reason=1) + mode(True) + usage(A, 0, 0, spent(10)))
write("replay", "overdraw", topup(100) + mode(False) + transfer(HQ, A, whole(60)) + transfer(HQ, B, whole(60), gap=0))

# merge: base, ours and theirs of one file, separated by 0xFF bytes.
SEP = b"\xff"
def triple(base, ours, theirs):
    return SEP.join(part.encode() if isinstance(part, str) else part for part in (base, ours, theirs))

workspace = read("workspaces/chat-prod.yaml").decode()
renamed = workspace.replace("name: Chat Assistant (production)", "name: Chat Assistant (production, EU)")
assigned = workspace.replace("  - member: ana\n    role: viewer\n", "  - member: ana\n    role: viewer\n  - member: jun\n    role: viewer\n")
write("merge", "workspace-rename-and-assign", triple(workspace, renamed, assigned))
write("merge", "workspace-both-rename", triple(workspace, renamed, workspace.replace("(production)", "(prod)")))
json_workspace = as_json(workspace)
write("merge", "workspace-json", triple(json_workspace, as_json(renamed), as_json(assigned)))
member = read("members/carl.yaml").decode()
write("merge", "member-role-and-name", triple(member, member.replace("role: admin", "role: billing"), member.replace("Carl Nguyen", "Carl N.")))
org = read("org.yaml").decode()
write("merge", "org-policy", triple(org, org.replace("require: 2", "require: 3", 1), org.replace("name: Acme Corp", "name: Acme")))
providers = read("providers.yaml").decode()
write("merge", "providers", triple(providers, providers.replace("default: true\n", "", 1),
                             providers + "  - id: openai-eu\n    provider: openai\n    secretRef: env:OPENAI_EU_KEY\n"))
busy = acme / "usage/chat-prod/2026/11/05-gw-1.jsonl"  # the merge target merges usage/chat-prod/2026/11/05-gw-1.jsonl
all_lines = busy.read_text().splitlines()
base_usage = "\n".join(all_lines[:3]) + "\n"
write("merge", "usage-union", triple(base_usage, base_usage + all_lines[3] + "\n", base_usage + all_lines[4] + "\n"))
event = read(first_event("transfer")).decode()
write("merge", "event-twice", triple(b"", event, event.replace("credits: 1000", "credits: 900")))
write("merge", "workspace-deleted-and-renamed", triple(workspace, read("workspaces/promo-staging.yaml").decode().replace("promo-staging", "chat-prod"), renamed))
