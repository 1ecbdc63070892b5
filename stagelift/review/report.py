"""Markdown (pull-request comment) and JSON renderings of one review.

The comment starts with a hidden marker so a workflow can find and update its own comment, then
one summary table, then details in ``<details>`` blocks. GitHub refuses comments over 65,536
characters: when the full report is longer, rows are cut from the end of each section with a
note pointing at the full report file.
"""

from __future__ import annotations

import json
from decimal import Decimal

MARKER = "<!-- stagelift-review -->"
COMMENT_LIMIT = 65_536
_BUDGET = COMMENT_LIMIT - 2_000  # room for the cut notes and closing tags

Section = tuple[str, list[str], list[str]]  # (summary line, table header lines, rows)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _row(*cells: object) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _bold_if(count: int) -> str:
    return f"**{count}**" if count else "0"


def _usd(value: str | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "+" if signed and amount > 0 else ("-" if amount < 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def to_json(review: dict) -> str:
    return json.dumps(review, indent=2, sort_keys=False) + "\n"


def _summary(review: dict) -> list[str]:
    s = review["summary"]
    verdict = review.get("policy", {})
    lines = [MARKER, "## stagelift review", ""]
    if verdict:
        if verdict["violations"]:
            lines.append("**Policy: fails** — " + "; ".join(verdict["violations"]))
        else:
            lines.append("**Policy: passes**" + (f" (checks: {', '.join(verdict['fail_on'])})" if verdict["fail_on"] else ""))
        lines.append("")
    replaced = f"{s['replaced']}" + (f" ({s['may_replace']} may)" if s["may_replace"] else "")
    lines += [
        "| Stacks | Added | Updated | Replaced | Removed | Data at risk | IAM broadening | Open ingress | "
        "Settings off | New findings | New acknowledgments | Cost delta / month |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        _row(f"{s['stacks']} ({s['stacks_changed']} changed)", s["added"], s["updated"], replaced, s["removed"],
             _bold_if(s["data_at_risk"]), _bold_if(s["iam_broadening"]), _bold_if(s["open_ingress"]),
             _bold_if(s["settings_off"]), s["new_findings"] if review["data_sources"]["lint"] else f"{s['new_findings']} (no --lint)",
             s["new_acknowledgments"], _usd(s["cost_delta_usd"], signed=True)),
        "",
    ]
    return lines


def _stack_table(review: dict) -> list[str]:
    changed = [st for st in review["stacks"] if st["status"] != "unchanged"]
    return [_row(f"`{st['id']}`", st["status"], st["added"], st["updated"], st["replaced"], st["removed"]) for st in changed]


_STACK_HEADER = ["| Stack | Status | Added | Updated | Replaced | Removed |", "|---|---|---|---|---|---|"]


def _sections(review: dict) -> list[Section]:
    sections: list[Section] = []
    if review["data_at_risk"]:
        sections.append((f"⚠️ Data at risk ({len(review['data_at_risk'])})",
                         ["| Stack | Resource | Type | Action | Why |", "|---|---|---|---|---|"],
                         [_row(f"`{r['stack']}`", f"`{r['logical_id']}`", r["type"], r["action"], r["reason"])
                          for r in review["data_at_risk"]]))
    if review["iam"]:
        broad = sum(1 for i in review["iam"] if i["broadening"])
        sections.append((f"IAM statements ({sum(1 for i in review['iam'] if i['change'] == 'added')} added, "
                         f"{sum(1 for i in review['iam'] if i['change'] == 'removed')} removed, {broad} broadening)",
                         ["| Change | Stack | On | Statement | Broadening |", "|---|---|---|---|---|"],
                         [_row(i["change"], f"`{i['stack']}`", f"`{i['owner']}` ({i['kind']})", i["statement"],
                               "**" + "; ".join(i["broadening"]) + "**" if i["broadening"] else "")
                          for i in sorted(review["iam"], key=lambda i: not i["broadening"])]))
    if review["security_groups"]:
        sections.append((f"Security-group rules ({len(review['security_groups'])})",
                         ["| Change | Stack | Rule | Open to the internet |", "|---|---|---|---|"],
                         [_row(g["change"], f"`{g['stack']}`", g["rule"], "**yes**" if g["open_to_world"] else "")
                          for g in review["security_groups"]]))
    if review["settings_off"]:
        sections.append((f"Security settings turned off ({len(review['settings_off'])})",
                         ["| Stack | Resource | Setting | Before | After |", "|---|---|---|---|---|"],
                         [_row(f"`{s['stack']}`", f"`{s['logical_id']}` ({s['type']})", s["setting"], s["old"], s["new"])
                          for s in review["settings_off"]]))
    acks = [a for a in review["acknowledgments"] if a["status"] != "unchanged"]
    unchanged = len(review["acknowledgments"]) - len(acks)
    sections.append((f"cdk-nag acknowledgments ({sum(1 for a in acks if a['status'] == 'new')} new, "
                     f"{sum(1 for a in acks if a['status'] == 'fixed')} removed, {unchanged} unchanged)",
                     ["| Status | Stack | Rule | Construct | Reason |", "|---|---|---|---|---|"] if acks else [],
                     [_row(a["status"], f"`{a['stack']}`", a["rule"], f"`{a['resource']}`", a["message"]) for a in acks]))
    if review["data_sources"]["lint"] or review["findings"]:
        changed = [f for f in review["findings"] if f["status"] != "unchanged"]
        sections.append((f"Findings: {'cfn-lint and ' if review['data_sources']['lint'] else ''}synthesis validation ({sum(1 for f in changed if f['status'] == 'new')} new, "
                         f"{sum(1 for f in changed if f['status'] == 'fixed')} fixed, "
                         f"{len(review['findings']) - len(changed)} unchanged)",
                         ["| Status | Source | Stack | Rule | Resource | Message |", "|---|---|---|---|---|---|"] if changed else [],
                         [_row(f["status"], f["source"], f"`{f['stack']}`", f["rule"], f"`{f['resource']}`", f["message"])
                          for f in changed]))
    if review["cost"]:
        rows = []
        for stack in review["cost"]["stacks"]:
            rows.append(_row(f"**`{stack['stack']}`**", "", _usd(stack["before"]), _usd(stack["after"]),
                             _usd(stack["delta"], signed=True), ""))
            rows += [_row("", line["item"], _usd(line["before"]), _usd(line["after"]), _usd(line["delta"], signed=True),
                          line["after_detail"] or line["before_detail"]) for line in stack["lines"]]
        sections.append((f"Monthly cost ({_usd(review['cost']['delta'], signed=True)})",
                         [f"_{review['data_sources']['cost']}_", "",
                          "| Stack | Line | Before | After | Delta | How (after) |", "|---|---|---|---|---|---|"], rows))
    # Resources last: the long part, cut first when the comment is too long.
    for stack in review["stacks"]:
        if not stack["resources"] and not stack["note"]:
            continue
        rows = []
        for r in stack["resources"]:
            changed = "; ".join(
                f"{c['path']}: {c['old'] if c['old'] is not None else '∅'} → {c['new'] if c['new'] is not None else '∅'}"
                for c in r["changes"][:6]) + (f"; … {len(r['changes']) - 6} more" if len(r["changes"]) > 6 else "")
            why = ", ".join(r["because"]) + (f" {r['note']}" if r["note"] else "")
            rows.append(_row(r["action"], f"`{r['logical_id']}`", r["type"], changed, why.strip()))
        header = ([f"_{stack['note']}_", ""] if stack["note"] else []) + (
            ["| Action | Logical id | Type | Changes | Why |", "|---|---|---|---|---|"] if rows else [])
        sections.append((f"Resources: `{stack['id']}` — {stack['status']} (+{stack['added']} ~{stack['updated']} "
                         f"±{stack['replaced']} -{stack['removed']})", header, rows))
    return sections


def _footer(review: dict) -> list[str]:
    sources = review["data_sources"]
    return ["", f"<sub>{review['tool']} · replacement data: {sources['replacement']}"
            + (f" · prices: {sources['cost']}" if sources["cost"] else "") + "</sub>", ""]


def _block(summary: str, header: list[str], rows: list[str]) -> list[str]:
    body = [*header, *rows] or ["No change."]
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def to_markdown(review: dict, *, full_report: str | None = None, limit: int = COMMENT_LIMIT) -> str:
    """The pull-request comment; cut to fit ``limit`` characters, naming ``full_report`` when cut."""
    head, footer, sections, stacks = _summary(review), _footer(review), _sections(review), _stack_table(review)
    stack_table = _STACK_HEADER + stacks + [""] if stacks else []
    full = "\n".join(head + stack_table + [line for s in sections for line in _block(*s)] + footer)
    if len(full) <= limit:
        return full
    budget = min(limit, COMMENT_LIMIT) - 2_000
    where = f"the full report: `{full_report}`" if full_report else "the full report (JSON artifact)"
    out = list(head) + [f"> **Cut to fit a comment** ({len(full):,} characters); see {where}.", ""]
    used = _size(out + footer)
    # The per-stack table gets at most a quarter of the room, the details the rest.
    kept_stacks = []
    for row in stacks:
        if used + len(row) + 1 > budget // 4:
            break
        kept_stacks.append(row)
        used += len(row) + 1
    if stacks:
        more = [f"_… {len(stacks) - len(kept_stacks)} more changed stacks cut_"] if len(kept_stacks) < len(stacks) else []
        out += _STACK_HEADER + kept_stacks + more + [""]
        used += _size(_STACK_HEADER + more) + 1
    dropped = 0
    for summary, header, rows in sections:
        block = _block(summary, header, [])
        if dropped or used + _size(block) + 200 > budget:
            dropped += 1
            continue
        kept = []
        used += _size(block)
        for row in rows:
            if used + len(row) + 200 > budget:
                break
            kept.append(row)
            used += len(row) + 1
        note = [f"_… {len(rows) - len(kept)} more rows cut: see {where}_"] if len(kept) < len(rows) else []
        used += _size(note)
        out += _block(summary, header, kept + note)
    if dropped:
        out.append(f"_… {dropped} more sections cut: see {where}_")
    return "\n".join(out + footer)
