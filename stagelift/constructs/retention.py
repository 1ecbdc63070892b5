"""CloudWatch Logs retention from a number of days (the configuration's unit)."""

from __future__ import annotations

from aws_cdk import aws_logs as logs

from ..config.base import LOG_RETENTION_DAYS

_BY_DAYS: dict[int, logs.RetentionDays] = dict(
    zip(
        LOG_RETENTION_DAYS,
        (
            logs.RetentionDays.ONE_DAY, logs.RetentionDays.THREE_DAYS, logs.RetentionDays.FIVE_DAYS,
            logs.RetentionDays.ONE_WEEK, logs.RetentionDays.TWO_WEEKS, logs.RetentionDays.ONE_MONTH,
            logs.RetentionDays.TWO_MONTHS, logs.RetentionDays.THREE_MONTHS, logs.RetentionDays.FOUR_MONTHS,
            logs.RetentionDays.FIVE_MONTHS, logs.RetentionDays.SIX_MONTHS, logs.RetentionDays.ONE_YEAR,
            logs.RetentionDays.THIRTEEN_MONTHS, logs.RetentionDays.EIGHTEEN_MONTHS, logs.RetentionDays.TWO_YEARS,
            logs.RetentionDays.THREE_YEARS, logs.RetentionDays.FIVE_YEARS, logs.RetentionDays.SIX_YEARS,
            logs.RetentionDays.SEVEN_YEARS, logs.RetentionDays.EIGHT_YEARS, logs.RetentionDays.NINE_YEARS,
            logs.RetentionDays.TEN_YEARS,
        ),  # fmt: skip
        strict=True,
    )
)


def log_retention(days: int) -> logs.RetentionDays:
    """The ``RetentionDays`` member for ``days`` (one of ``LOG_RETENTION_DAYS``)."""
    try:
        return _BY_DAYS[days]
    except KeyError:
        raise ValueError(f"log retention = {days} days: CloudWatch Logs accepts {', '.join(map(str, LOG_RETENTION_DAYS))}") from None
