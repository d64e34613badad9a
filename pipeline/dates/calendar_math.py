"""Calendar arithmetic on TIMEX3 values: shifting by units, the interval a value denotes, holidays."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta

SEASON_MONTHS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 2)}


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, min(d.day, monthrange(d.year + y, m + 1)[1]))


def week_value(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def shifted(dct: date, unit: str, n: int) -> tuple[str, str]:
    """(value, granularity) of the UNIT N steps from DCT: this week, last month, next year, ..."""
    if unit == "day":
        return (dct + timedelta(days=n)).isoformat(), "day"
    if unit in ("week", "weekend"):
        return week_value(dct + timedelta(weeks=n)) + ("-WE" if unit == "weekend" else ""), "week"
    if unit == "fortnight":
        return week_value(dct + timedelta(weeks=2 * n)), "week"
    if unit == "month":
        return add_months(dct, n).strftime("%Y-%m"), "month"
    if unit == "quarter":
        q = (dct.year * 4 + (dct.month - 1) // 3) + n
        return f"{q // 4}-Q{q % 4 + 1}", "quarter"
    if unit == "year":
        return str(dct.year + n), "year"
    if unit == "decade":
        return str(dct.year // 10 + n), "decade"
    if unit == "century":
        return str(dct.year // 100 + n), "century"
    raise ValueError(f"{unit} is no calendar unit")  # hours, trading days: no row (rule_candidates)


def interval(value: str | None) -> tuple[date, date] | None:
    """First and last day of the calendar interval a TIMEX3 date value denotes."""
    if not value or value[:1] in "PX" or not value[:2].isdigit():
        return None
    head = value.split("T")[0]
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", head):
            d = date.fromisoformat(head)
            return d, d
        y = int(value[:4])
        if m := re.fullmatch(r"\d{4}-(\d\d)", head):
            mo = int(m.group(1))
            return date(y, mo, 1), date(y, mo, monthrange(y, mo)[1])
        if m := re.fullmatch(r"\d{4}-W(\d\d)(-WE)?", head):
            monday = date.fromisocalendar(y, int(m.group(1)), 1)
            return (
                (monday + timedelta(days=5), monday + timedelta(days=6))
                if m.group(2)
                else (monday, monday + timedelta(days=6))
            )
        if m := re.fullmatch(r"\d{4}-Q([1-4])", head):
            q = int(m.group(1))
            return date(y, 3 * q - 2, 1), date(y, 3 * q, monthrange(y, 3 * q)[1])
        if m := re.fullmatch(r"\d{4}-H([12])", head):
            return (date(y, 1, 1), date(y, 6, 30)) if m.group(1) == "1" else (date(y, 7, 1), date(y, 12, 31))
        if m := re.fullmatch(r"\d{4}-(SP|SU|FA|WI)", head):
            first, last = SEASON_MONTHS[m.group(1)]
            end_year = y + 1 if last < first else y
            return date(y, first, 1), date(end_year, last, monthrange(end_year, last)[1])
        if re.fullmatch(r"\d{4}", head):
            return date(y, 1, 1), date(y, 12, 31)
        if re.fullmatch(r"\d{3}", head):
            return date(int(head) * 10, 1, 1), date(int(head) * 10 + 9, 12, 31)
        if re.fullmatch(r"\d{2}", head):
            return date(max(1, int(head) * 100), 1, 1), date(int(head) * 100 + 99, 12, 31)
    except (ValueError, OverflowError):
        return None
    return None


def safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def holiday_date(rule: str, y: int) -> date | None:
    """The day a holiday RULE of lexicon.json (notation in its "about" note) falls on in year Y."""
    if rule.startswith("E"):
        return easter(y) + timedelta(days=int(rule[1:]))
    parts = rule.split("-")
    if len(parts) == 2:
        return safe_date(y, int(parts[0]), int(parts[1]))
    m, wd, nth = int(parts[0]), int(parts[1]), parts[2]
    if nth == "L":
        last = date(y, m, monthrange(y, m)[1])
        return last - timedelta(days=(last.isoweekday() - wd) % 7)
    first = date(y, m, 1)
    return first + timedelta(days=(wd - first.isoweekday()) % 7 + 7 * (int(nth) - 1))


def easter(y: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(y, month, day + 1)


def weekday_date(dct: date, weekday: int, direction: int, include_today: bool = True) -> date:
    delta = (weekday - dct.isoweekday()) % 7
    if direction < 0:
        delta = -((dct.isoweekday() - weekday) % 7)
    if delta == 0 and not include_today:
        delta = 7 * direction
    return dct + timedelta(days=delta)


def shifted_day(d: date, unit: str, n: int) -> date:
    if unit in ("day", "week", "fortnight"):
        return d + timedelta(days=n * {"day": 1, "week": 7, "fortnight": 14}[unit])
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200}.get(unit, 0)
    return add_months(d, n * months)


def value_at(d: date, gran: str, like: str) -> str | None:
    """D written at granularity GRAN, as the TIMEX3 value LIKE is written."""
    if gran == "day":
        return d.isoformat()
    if gran == "week":
        return week_value(d) + ("-WE" if like.endswith("-WE") else "")
    if gran in ("season", "half"):
        return f"{d.year}{like[4:]}"
    return {
        "month": f"{d.year}-{d.month:02d}",
        "quarter": f"{d.year}-Q{(d.month - 1) // 3 + 1}",
        "year": str(d.year),
        "decade": str(d.year // 10),
        "century": str(d.year // 100),
    }.get(gran)
