"""Per-answer checks that need nothing but the standard library.

The generated answer check of every skeleton (``<tier>_service_answers.py``) embeds this module's
source, so a skeleton rendered where stagelift is not installed still refuses bad answers. Where
stagelift is importable the check uses :func:`stagelift.scaffolding.check_answers`, which runs these checks and
then the tier's configuration model (cross-field rules such as Fargate's CPU/memory pairs).

A rule is the JSON Schema of one answer: ``type`` (string, integer, boolean), optional ``enum``,
``pattern``, ``minimum``, ``maximum``; ``optional`` marks answers where an empty string means unset.
"""

import re

TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "f", "no", "n", "off")


def coerce(rule, value):
    """The answer as the rule's type; raise ValueError naming what is expected."""
    kind = rule["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError("expected true or false")
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"-?[0-9]+", text):
            raise ValueError("expected a whole number")
        return int(text)
    return str(value)


def check_answer(name, rule, value):
    """Problems with one answer (empty list = fine)."""
    if rule.get("optional") and (value is None or value == ""):
        return []
    if value is None or value == "":
        return [f"{name}: is required"]
    try:
        typed = coerce(rule, value)
    except ValueError as error:
        return [f"{name} = {value!r}: {error}"]
    problems = []
    what = f" ({rule['description']})" if rule.get("description") else ""
    if "enum" in rule and typed not in rule["enum"]:
        allowed = ", ".join(str(v) for v in rule["enum"])
        problems.append(f"{name} = {value!r}: allowed values are {allowed}")
    if "pattern" in rule and not re.search(rule["pattern"], typed):
        problems.append(f"{name} = {value!r}: must match {rule['pattern']}{what}")
    if "minimum" in rule and typed < rule["minimum"]:
        problems.append(f"{name} = {value!r}: must be at least {rule['minimum']}{what}")
    if "maximum" in rule and typed > rule["maximum"]:
        problems.append(f"{name} = {value!r}: must be at most {rule['maximum']}{what}")
    return problems


def check_answers_standalone(rules, answers):
    """Problems with every answer named in ``rules`` (empty list = fine)."""
    problems = []
    for name, rule in rules.items():
        problems.extend(check_answer(name, rule, answers.get(name)))
    return problems
