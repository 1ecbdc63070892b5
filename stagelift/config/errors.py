"""One clear error for bad configuration, raised before anything is synthesized."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError


M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """Configuration that cannot be used: names the key, the bad value and what is allowed."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Invalid {source}:\n{lines}")


def _key(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    """Dotted key as the user wrote it (camelCase alias when the model has one)."""
    parts: list[str] = []
    current: type[BaseModel] | None = model
    for item in loc:
        if isinstance(item, str) and current is not None and item in current.model_fields:
            field = current.model_fields[item]
            parts.append(field.alias or item)
            annotation = field.annotation
            current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        else:
            parts.append(str(item))
            current = None
    return ".".join(parts) if parts else "(whole object)"


def _description(loc: tuple[int | str, ...], model: type[BaseModel]) -> str | None:
    if len(loc) != 1:
        return None
    for name, field in model.model_fields.items():
        if loc[0] in (name, field.alias):
            return field.description
    return None


def describe(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """Turn a pydantic error into lines `key = value: what is allowed`."""
    problems = []
    for item in error.errors(include_url=False):
        key = _key(item["loc"], model)
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if item["type"] == "missing":
            problems.append(f"{key}: is required")
        elif item["type"] == "extra_forbidden":
            allowed = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items()))
            problems.append(f"{key} = {item['input']!r}: unknown key; allowed keys are {allowed}")
        elif item["type"] == "string_pattern_mismatch":
            description = _description(item["loc"], model)
            rule = f"{description} (pattern {item['ctx']['pattern']})" if description else message
            problems.append(f"{key} = {item['input']!r}: expected {rule}")
        elif key == "(whole object)":
            problems.append(message)
        else:
            problems.append(f"{key} = {item['input']!r}: {message}")
    return problems


def validate(model: type[M], values: Mapping[str, object], source: str) -> M:
    """Validate ``values`` into ``model`` or raise one ``ConfigError`` listing every problem."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        raise ConfigError(source, describe(error, model)) from None
