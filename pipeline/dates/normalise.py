"""Normalisers: one per rule name of rules.tsv, (regex groups, context) -> Timex or None."""

from __future__ import annotations

import re
from datetime import timedelta

from pipeline.dates.calendar_math import holiday_date, safe_date, shifted, weekday_date
from pipeline.dates.context import Context, tense_near
from pipeline.dates.lexicon import (
    ANAPHORIC,
    ANCHOR_WORDS,
    APPROX,
    ATTRIBUTIVE_NOT_SET,
    CATALOGUE_AFTER,
    DEADLINE,
    FALL_CONTEXT,
    FRACTION_OF,
    LEX,
    MODS,
    MONTH_CONTEXT,
    MONTHS,
    NAME_AFTER,
    NAME_BEFORE,
    NUMBERS,
    PERIOD_BEFORE,
    POSSESSIVE,
    RELATIVE,
    SIGNAL_AFTER,
    UNITS,
    WEEKDAYS,
    YEAR_PREPOSITIONS,
    Timex,
)

THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
LARGE_NUMBERS = {"hundred", "thousand", "million", "billion"}
YEAR_WORDS = re.compile(r"(?:nineteen|twenty)[\s-]+[a-z]+ty[\s-][a-z]+$", re.IGNORECASE)  # never a count
YEAR_TO_DATE = {"6", "9"}  # "the (first) nine months": a report's months so far in its year
HALF_SUFFIX = re.compile(r"\s+and\s+a\s+half$|\s+1/2$|\s*½$")


def number(text: str | None, half: str | None = None) -> str | None:
    """'two' -> '2', '2.5' / 'two and a half' / '2 1/2' -> '2.5'; vague amounts ('several') -> 'X'."""
    if not text:
        return None
    text = " ".join(THOUSANDS.sub("", text.lower()).replace(",", ".").split())  # "1,000" but "2,5" (= 2.5)
    if m := HALF_SUFFIX.search(text):
        text, half = text[: m.start()], half or "half"
    if text in LEX["vague_number"]:
        return "X"
    if re.fullmatch(r"\d+(\.\d+)?", text):
        n = float(text)
    elif text in NUMBERS:
        n = NUMBERS[text]
    else:
        parts = re.split(r"[\s-]", text)
        if not all(p in NUMBERS for p in parts):
            return None
        n = sum(NUMBERS[p] for p in parts)
    n += 0.5 if half else 0
    return str(int(n)) if n == int(n) else str(n)


def unit_of(word: str) -> str:
    word = " ".join(word.lower().split())
    if word == "centuries":
        return "century"
    return word if word in UNITS else word[:-1]


SUBUNITS = {("Y", False): ("M", 12), ("H", True): ("M", 60), ("M", True): ("S", 60)}  # months are not split


def duration_value(n: str, unit: str) -> str:
    code, _, is_time = UNITS[unit]
    if n != "X" and code[:-1].isdigit():  # decade = 10Y, century = 100Y, fortnight = 2W
        factor = int(code[:-1])
        amount = float(n) * factor
        n, code = str(int(amount)) if amount == int(amount) else str(amount), code[-1]
    elif code[:-1].isdigit():
        code = code[-1]
    whole, _, fraction = n.partition(".")
    if fraction and (code, is_time) in SUBUNITS:  # "two and a half years" is P2Y6M, "a minute and a half" PT1M30S
        sub, per = SUBUNITS[code, is_time]
        n, code = whole, f"{code}{float('0.' + fraction) * per:g}{sub}"
    return f"PT{n}{code}" if is_time else f"P{n}{code}"


NEW_DEADLINE = re.compile(r"\b(?:extended|postponed|delayed|moved|pushed\s+back|put\s+off)\s+(?:to|until|till)\s+$")
NEAR_MONTHS = 3  # a month named in the present tense this close to publication, across a new year, is that one


def resolved_year(ctx: Context, month: int) -> tuple[int | None, bool]:
    """Year of a month named without one: the DCT's, moved by tense as HeidelTime does for news. After 'by',
    'until' or 'through' the next such month (a deadline ahead), or in the past tense the nearest one, as for a
    deadline told in the past ('extended to Nov. 16', 'the Nov. 1 deadline'); in the present tense within
    NEAR_MONTHS ('when it convenes in January', in December), the nearest one too."""
    if ctx.dct is None:
        return None, False
    y, m = ctx.dct.year, ctx.dct.month
    nearest = min((y - 1, y, y + 1), key=lambda c: abs((c - y) * 12 + month - m))
    tense = tense_near(ctx.doc, ctx.start, ctx.end)
    deadline = ctx.previous_word() in DEADLINE
    if deadline and tense != "past":
        return (y if month >= m else y + 1), True  # "by August": a deadline still ahead
    if (
        deadline
        or NEW_DEADLINE.search(ctx.before())
        or ctx.after(10).lstrip().startswith("deadline")
        or (tense == "present" and abs((nearest - y) * 12 + month - m) <= NEAR_MONTHS)
    ):
        return nearest, True
    if tense == "past" and month > m:
        return y - 1, True
    if tense == "future" and month < m:
        return y + 1, True
    return y, True


def mod_of(word: str | None) -> str | None:
    return MODS.get(word.lower()) if word else None


def full(g: dict, ctx: Context) -> Timex | None:
    d = safe_date(int(g["year"]), MONTHS[g["month"].lower().rstrip(".")], int(re.sub(r"\D", "", g["day"])))
    return Timex("DATE", d.isoformat(), "day") if d else None


def iso(g: dict, ctx: Context) -> Timex | None:
    d = safe_date(int(g["year"]), int(g["mnum"]), int(g["dnum"]))
    return Timex("DATE", d.isoformat(), "day") if d else None


def numeric(g: dict, ctx: Context) -> Timex | None:
    y = int(g["ynum"])
    y = y if y > 99 else (1900 + y if y >= 50 else 2000 + y)
    d = safe_date(y, int(g["mnum"]), int(g["dnum"]))
    return Timex("DATE", d.isoformat(), "day") if d else None


def month_day(g: dict, ctx: Context) -> Timex | None:
    if not g.get("weekday") and NAME_BEFORE.search(ctx.before()):
        return None  # a name with a number: "the Long March 3 rocket"
    month, day = MONTHS[g["month"].lower().rstrip(".")], int(re.sub(r"\D", "", g["day"]))
    year, anchored = resolved_year(ctx, month)
    if year is None:
        return Timex("DATE", f"XXXX-{month:02d}-{day:02d}", "day") if day <= 31 else None
    d = safe_date(year, month, day)
    return Timex("DATE", d.isoformat(), "day", anchored=anchored) if d else None


def month_year(g: dict, ctx: Context) -> Timex:
    m, y = MONTHS[g["monthname"].lower()], g.get("year") or relyear(g.get("relyear"), ctx)
    value = f"{y}-{m:02d}" if y else None
    return Timex("DATE", value, "month", mod_of(g.get("modword")), anchored=bool(y and not g.get("year")))


def month(g: dict, ctx: Context) -> Timex | None:
    word = g["monthname"].lower()
    if word in ("may", "march") and not g.get("modword") and ctx.previous_word() not in MONTH_CONTEXT:
        return None  # the modal verb "May" / the verb "march"
    m = MONTHS[word]
    year, anchored = resolved_year(ctx, m)
    value = f"{year}-{m:02d}" if year else f"XXXX-{m:02d}"
    return Timex("DATE", value, "month", mod_of(g.get("modword")), anchored)


def year(g: dict, ctx: Context) -> Timex | None:
    """A number is a year only where it reads as one: not in a name ('Resolution 1718', 'Russell 2000 Index'; but
    'WWDC 2005'), a catalogue number ('2008 QH24') or a count ('1600 applicants'); spelled out after 'in'."""
    says_year = ctx.text[ctx.start : ctx.end].lower().startswith("the year")
    if g.get("spelled") and not (ctx.previous_word() in YEAR_PREPOSITIONS or says_year or YEAR_WORDS.match(g["words"])):
        return None
    name = NAME_BEFORE.search(ctx.before())
    if (
        not g.get("modword")
        and name
        and (
            g.get("yy")
            or NAME_AFTER.match(ctx.after())
            or not (name.group().isupper() or near_publication(g.get("year"), ctx))
        )
    ):
        return None
    dated = (
        g.get("modword")
        or ctx.text[ctx.start : ctx.end].lower().startswith("fiscal")
        or (POSSESSIVE.search(ctx.before()) and near_publication(g.get("year"), ctx))
    )  # "the company's 2009 results"
    if CATALOGUE_AFTER.match(ctx.after()) or (not dated and counted(ctx)):
        return None
    y = g.get("year")
    if y is None:
        yy = int(g["yy"])
        y = str(1900 + yy if yy >= 30 else 2000 + yy)
    return Timex("DATE", y, "year", mod_of(g.get("modword")))


def near_publication(y: str | None, ctx: Context) -> bool:
    """After a name, a number within a decade of publication is the year of an event ('Conference 2010'),
    another one a number ('Resolution 1718')."""
    return bool(y and ctx.dct and abs(int(y) - ctx.dct.year) <= 10)


def counted(ctx: Context) -> bool:
    """'1600 applicants': a number right before a plural noun, without a word of time before it ('in 1989 sales')."""
    span = ctx.doc.char_span(ctx.start, ctx.end, alignment_mode="expand")
    if span is None or span.end >= len(ctx.doc) or ctx.previous_word() in YEAR_PREPOSITIONS:
        return False
    nxt = ctx.doc[span.end]
    return nxt.tag_ in ("NNS", "NNPS") and nxt.lower_ not in ANCHOR_WORDS


def century(g: dict, ctx: Context) -> Timex | None:
    n = int(g["cent"])
    return Timex("DATE", f"{n - 1:02d}", "century") if 1 <= n <= 21 else None


def decade(g: dict, ctx: Context) -> Timex | None:
    if g.get("decade_word"):  # "the nineties": of the 1900s, as news of any year writes the 2000s' in digits
        return Timex("DATE", "19" + LEX["decade_word"][g["decade_word"].lower()], "decade", mod_of(g.get("modword")))
    digits = g["decade"].lstrip("'")
    if len(digits) == 2:
        digits = ("19" if int(digits) >= 30 else "20") + digits
    return Timex("DATE", digits[:3], "decade", mod_of(g.get("modword")))


def relyear(word: str | None, ctx: Context) -> int | None:
    if ctx.dct is None:
        return None
    return ctx.dct.year + {"last": -1, "next": 1}.get((word or "").lower(), 0)


def quarter(g: dict, ctx: Context) -> Timex | None:
    if g.get("relative"):
        if ctx.dct is None:
            return Timex("DATE", None, "quarter")
        value, gran = shifted(ctx.dct, "quarter", RELATIVE[g["relative"].lower()])
        return Timex("DATE", value, gran, anchored=True)
    q = int(g["qnum"]) if g.get("qnum") else LEX["ordinal"][g["ordinal"].lower()]
    if g.get("year") or g.get("qyear"):
        return Timex("DATE", f"{g.get('year') or g['qyear']}-Q{q}", "quarter")
    y = relyear("last" if g.get("yearago") else g.get("relyear"), ctx)
    if (
        y is not None
        and ctx.dct
        and q > (ctx.dct.month - 1) // 3 + 1
        and not (g.get("relyear") or g.get("yearago"))
        and ctx.tense() == "past"
    ):
        y -= 1  # "the fourth quarter" in October, said of the past: last year's
    return Timex("DATE", f"{y}-Q{q}" if y else f"XXXX-Q{q}", "quarter", anchored=y is not None)


def half(g: dict, ctx: Context) -> Timex:
    h = 1 if g["half"].lower() == "first" else 2  # second, last, latter
    y = g.get("year") or relyear(g.get("relyear"), ctx)
    return Timex("DATE", f"{y}-H{h}" if y else f"XXXX-H{h}", "half", anchored=not g.get("year") and y is not None)


def season(g: dict, ctx: Context) -> Timex | None:
    code = LEX["season"][g["season"].lower()]
    rel = (g.get("relseason") or "").lower()
    if g["season"].lower() == "fall" and not (rel or g.get("year") or FALL_CONTEXT.search(ctx.before())):
        return None  # the verb or noun "fall"
    y = int(g["year"]) if g.get("year") else relyear(rel if rel in ("last", "next") else None, ctx)
    return Timex(
        "DATE",
        f"{y}-{code}" if y else f"XXXX-{code}",
        "season",
        mod_of(rel) if rel in MODS else None,
        anchored=not g.get("year") and y is not None,
    )


def holiday(g: dict, ctx: Context) -> Timex | None:
    rule = LEX["holiday"][" ".join(g["holiday"].lower().split()).replace("’", "'")]
    month = 4 if rule.startswith("E") else int(rule[:2])  # Easter falls in March or April
    y = int(g["year"]) if g.get("year") else resolved_year(ctx, month)[0]
    if y is None:
        return Timex("DATE", f"XXXX-{rule}" if re.fullmatch(r"\d\d-\d\d", rule) else None, "day")
    d = holiday_date(rule, y)
    return Timex("DATE", d.isoformat(), "day", anchored=not g.get("year")) if d else None


def deictic(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name():
        return None
    offset = LEX["deictic_day"][g["deictic"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "day")
    return Timex("DATE", (ctx.dct + timedelta(days=offset)).isoformat(), "day", anchored=True)


def mod_rel(g: dict, ctx: Context) -> Timex | None:
    mod = mod_of(g["mod"])
    if g.get("monthname"):
        m = MONTHS[g["monthname"].lower()]
        y, anchored = (int(g["year"]), False) if g.get("year") else resolved_year(ctx, m)
        return Timex("DATE", f"{y}-{m:02d}" if y else f"XXXX-{m:02d}", "month", mod, anchored)
    if g.get("year"):
        return Timex("DATE", g["year"], "year", mod)
    unit = unit_of(g["unit"])
    if g["unit"].lower().endswith("s") and unit != "century":
        return None
    return relative_date(ctx, unit, RELATIVE.get((g.get("relative") or "this").lower(), 0), mod)


def relative_date(ctx: Context, unit: str, n: int, mod: str | None = None, anaphoric: bool = False) -> Timex | None:
    """The UNIT N steps from the DCT; ANAPHORIC ones ('the following month') move to an earlier date later."""
    anaphor = (unit, n, "unit") if anaphoric else None
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1], mod, anaphor=anaphor)
    value, gran = shifted(ctx.dct, unit, n)
    return Timex("DATE", value, gran, mod, anchored=True, anaphor=anaphor)


def rel_unit(g: dict, ctx: Context) -> Timex | None:
    rel, unit = g["relative"].lower(), unit_of(g["unit"])
    if g["unit"].lower().endswith("s") and unit != "century" or ctx.capitalised_name():
        return None  # plural units are rel_unit's; "This Week" mid-sentence is a programme's name
    text = ctx.text[ctx.start : ctx.end].lower()
    if rel in ("past", "last") and text.startswith("the") and not UNITS[unit][2] and unit != "day":
        return relative_date(ctx, unit, -1)  # "in the past year", "the last quarter": the one before the DCT's
    if rel in ("past", "coming") or (
        rel in ("last", "next") and text.startswith("the") and PERIOD_BEFORE.search(ctx.before())
    ):
        return Timex("DURATION", duration_value("1", unit), UNITS[unit][1])  # "over the next year": a period
    anaphoric = rel in ANAPHORIC or text.startswith("the") and RELATIVE[rel] != 0  # "the following month"
    if UNITS[unit][2] or (unit == "day" and not (anaphoric and rel != "last")):
        return None  # "the next day" counts from a date; "this day", "last day" are not expressions of their own
    return relative_date(ctx, unit, RELATIVE[rel], anaphoric=anaphoric)


def that_unit(g: dict, ctx: Context) -> Timex | None:
    """'that year': the year of the narrative's last date (the DCT's when there is none)."""
    return relative_date(ctx, g["unit"].lower(), 0, anaphoric=True)


REPORTING = {
    "say",
    "tell",
    "report",
    "announce",
    "add",
    "note",
    "claim",
    "state",
    "insist",
    "warn",
    "argue",
    "write",
    "explain",
    "confirm",
    "deny",
    "acknowledge",
    "estimate",
    "predict",
    "expect",
    "believe",
    "think",
}


def scheduled_present(ctx: Context) -> bool:
    """'The minister meets her counterpart on Monday': a present-tense verb governing the weekday, in a sentence
    with no past verb, tells a plan."""
    span = ctx.doc.char_span(ctx.start, ctx.end, alignment_mode="expand")
    if span is None:
        return False
    head = span.root.head
    if head.dep_ == "prep":  # "meets him on Monday"
        head = head.head
    return (
        head.tag_ in ("VBP", "VBZ")
        and head.lemma_ not in REPORTING
        and head.lemma_ != "be"
        and not any(tok.tag_ == "VBD" for tok in span.sent)
    )  # "hurt", "cut": past forms tagged present


def weekday(g: dict, ctx: Context) -> Timex:
    wd = WEEKDAYS[g["weekday"].lower()]
    if ctx.dct is None:
        return Timex("DATE", f"XXXX-WXX-{wd}", "day", mod_of(g.get("modword")))
    # news reports the past unless the clause is future or tells a plan in the present
    direction = 1 if ctx.tense() == "future" or scheduled_present(ctx) else -1
    return Timex(
        "DATE", weekday_date(ctx.dct, wd, direction).isoformat(), "day", mod_of(g.get("modword")), anchored=True
    )


def rel_weekday(g: dict, ctx: Context) -> Timex | None:
    wd, rel = WEEKDAYS[g["weekday"].lower()], RELATIVE[g["relative"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "day")
    if rel == 0:
        d = ctx.dct + timedelta(days=wd - ctx.dct.isoweekday())
    else:
        d = weekday_date(ctx.dct, wd, rel, include_today=False)
    return Timex("DATE", d.isoformat(), "day", anchored=True)


def rel_month(g: dict, ctx: Context) -> Timex:
    m, rel = MONTHS[g["monthname"].lower()], RELATIVE[g["relative"].lower()]
    if ctx.dct is None:
        return Timex("DATE", None, "month")
    y = ctx.dct.year
    if rel < 0:
        y -= 1 if m >= ctx.dct.month else 0
    elif rel > 0:
        y += 1 if m <= ctx.dct.month else 0
    return Timex("DATE", f"{y}-{m:02d}", "month", anchored=True)


def ago(g: dict, ctx: Context) -> Timex | None:
    """'two years ago' from the DCT; 'two days later' / 'a year earlier' from the narrative's last date."""
    unit = unit_of(g["unit"])
    n = number(g["num"], g.get("half")) if g.get("num") else "X"
    direction = g["dir"].lower()
    sign = -1 if direction in ("ago", "earlier") else 1
    if n is None or n == "X" and ctx.previous_word() in LARGE_NUMBERS:  # "50 million years ago": no vague past
        return None
    if unit in ("decade", "century") and n != "X":
        n, unit = str(float(n) * (10 if unit == "decade" else 100)), "year"  # "a decade ago" is a year
    if n == "X":
        return Timex("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF", None)
    steps = sign * int(float(n))
    comparison = unit == "year" and direction in ("ago", "earlier")  # "profit fell from a year earlier"
    anaphor = (unit, steps, "ago" if comparison else "ref") if direction in ("earlier", "later") or comparison else None
    if ctx.dct is None:
        return Timex("DATE", None, UNITS[unit][1], anaphor=anaphor)
    if unit == "week":
        return Timex("DATE", (ctx.dct + timedelta(weeks=steps)).isoformat(), "day", anchored=True, anaphor=anaphor)
    value, gran = shifted(ctx.dct, unit, steps)
    return Timex("DATE", value, gran, anchored=True, anaphor=anaphor)


def quarter_ref(g: dict, ctx: Context) -> Timex | None:
    """'the quarter', 'the latest period', 'the year-ago quarter': the quarter the report is about (the last one
    named, else the last one ended before publication), a year back for 'year-ago' / 'year-earlier'."""
    words = ctx.text[ctx.start : ctx.end].lower().split()
    if len(words) == 1 and not g.get("yearago") or words[-1] == "period" and len(words) < 3 and not g.get("yearago"):
        return None
    back = -4 if g.get("yearago") else 0
    if g.get("year"):
        return Timex("DATE", g["year"], "year", anaphor=("quarter", 0, "year"))
    if ctx.dct is None:
        return Timex("DATE", None, "quarter", anaphor=("quarter", back, "quarter"))
    reported = 0 if ctx.tense() == "future" else -1
    value, gran = shifted(ctx.dct, "quarter", reported + back)
    latest = re.search(r"latest|most\s+recent", ctx.text[ctx.start : ctx.end], re.IGNORECASE)  # not a mention's
    return Timex("DATE", value, gran, anchored=True, anaphor=None if latest else ("quarter", back, "quarter"))


def same_period(g: dict, ctx: Context) -> Timex | None:
    """'the same period (a year earlier)': the narrative's last date (a year back)."""
    back = -1 if g.get("yearago") else 0
    value = shifted(ctx.dct, "year", back)[0] if ctx.dct else None
    return Timex("DATE", value, "year", anchored=value is not None, anaphor=("year", back, "same"))


def range_dur(g: dict, ctx: Context) -> Timex | None:
    n, unit = number(g["num"], g.get("half")), unit_of(g["unit"])
    first = ctx.text[ctx.start : ctx.end].lower().startswith("the first")
    return Timex("DURATION", duration_value(n, unit), UNITS[unit][1], anaphor=to_date(unit, n, first)) if n else None


def to_date(unit: str, n: str | None, definite: bool) -> tuple[str, int, str] | None:
    """'the (first) nine months' of a report: its months so far in the year (see resolve_anaphors)."""
    return ("month", int(n), "to_date") if definite and unit == "month" and n in YEAR_TO_DATE else None


def duration(g: dict, ctx: Context) -> Timex | None:
    unit = unit_of(g["unit"])
    n: str | None
    if g.get("vague"):
        n = "X"
        if not g["unit"].lower().endswith("s"):
            return None  # "the past year" is rel_unit's
    elif g.get("single"):
        n = "X" if g["single"].lower() == "multi" else "1"
    else:
        n = number(g["num"], g.get("half") or g.get("uhalf"))
        if g.get("det") and n != "1" and not g["unit"].lower().endswith("s"):
            return None  # "the two year mission": the number and unit qualify the noun, the article does not
        if g["num"].lower() in ("a", "an") and unit == "second":
            return None  # "a second term"
        if unit == "quarter" and FRACTION_OF.match(ctx.after()):
            return None  # "about a quarter of the workforce"
    if n is None:
        return None
    approx = APPROX.get(" ".join((g.get("approx") or "").lower().split()))
    return Timex(
        "DURATION", duration_value(n, unit), UNITS[unit][1], approx, anaphor=to_date(unit, n, bool(g.get("det")))
    )


def bare_units(g: dict, ctx: Context) -> Timex:
    unit = unit_of(g["bare"])
    return Timex("DURATION", duration_value("X", unit), UNITS[unit][1])


def reference(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name() or SIGNAL_AFTER.match(ctx.after()) and g["reference"].lower() == "soon":
        return None  # "as soon as", "soon after": a signal linking two events, no time of its own
    if g["reference"].lower().endswith("future") and not_a_time(ctx):
        return None  # "the future of our peoples", "the future looks bleak": prospects, not a time
    return Timex("DATE", LEX["reference"][" ".join(g["reference"].lower().split())], None)


def not_a_time(ctx: Context) -> bool:
    """A noun phrase that is the subject of its clause or has an 'of' complement."""
    span = ctx.doc.char_span(ctx.start, ctx.end, alignment_mode="expand")
    return span is not None and (span.root.dep_ in ("nsubj", "nsubjpass") or ctx.after(4).startswith(" of "))


def set_(g: dict, ctx: Context) -> Timex | None:
    if ctx.capitalised_name():
        return None
    if g.get("set"):
        if g["set"].lower() in ATTRIBUTIVE_NOT_SET and before_noun(ctx):
            return None  # "its quarterly dividend", "daily flights": a kind of thing, as TimeML leaves it
        value, gran = LEX["set"][g["set"].lower()]
        return Timex("SET", value, gran)
    unit = unit_of(g["unit"])
    return Timex("SET", duration_value("1", unit), UNITS[unit][1])


def before_noun(ctx: Context) -> bool:
    span = ctx.doc.char_span(ctx.start, ctx.end, alignment_mode="expand")
    return span is not None and span.end < len(ctx.doc) and ctx.doc[span.end].tag_ in ("NN", "NNS")


PART_PM = {"afternoon": True, "evening": True, "morning": False}
CLOCK_PREPOSITIONS = {"at", "by", "until", "till", "from", "around", "about", "before", "after", "since"}


def clock_value(g: dict, ctx: Context) -> str | None:
    """'THH:MM' (with 'Z' for UTC) of a clock time that says it is one: a.m./p.m., a zone, o'clock, 'in the
    morning', or hours:minutes after a preposition of time ('at 14:30'); else None ('3.5 points')."""
    hour = int(g.get("hour") or g["hour2"])
    minute = g.get("minute") or g.get("minute2")
    ampm = (g.get("ampm") or "").lower()
    tz = (g.get("tz") or g.get("tzp") or g.get("tz3") or "").lower()
    part = (g.get("inpart") or "").lower()
    tonight = (g.get("deictic") or "").lower() == "tonight"
    twelve_hour = ampm or part or g.get("oclock")
    if g.get("hours") and not (g.get("sep") == ":" or tz):
        return None  # "18:05 hours (local time)" is a clock time, "5 hours" a duration
    day_named = g.get("weekday") or g.get("deictic")
    at_clock = g.get("sep") == ":" and (ctx.previous_word() in CLOCK_PREPOSITIONS or day_named)
    if not (twelve_hour or tz or at_clock or g.get("hour2")):
        return None
    if twelve_hour and not 1 <= hour <= 12:
        return None
    if ampm:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif hour < 12 and (PART_PM.get(part) or (part == "night" or tonight) and hour >= 6):
        hour += 12
    utc = LEX["timezone"].get(" ".join(tz.split())) == "Z"
    offset = int(re.sub(r"\s", "", g.get("off") or g.get("offp") or "0"))
    if utc and 0 <= hour - offset < 24:
        hour -= offset  # "6:40 p.m. (GMT +8)" is 10:40 UTC
    elif utc and offset:
        utc = False
    return f"T{hour:02d}:{int(minute or 0):02d}{'Z' if utc else ''}"


def clock(g: dict, ctx: Context) -> Timex | None:
    t = clock_value(g, ctx) if not g.get("named") else "T" + LEX["named_time"][g["named"].lower()]
    if t is None:
        return None
    day = day_of(g, ctx)
    own_day = bool(g.get("weekday") or g.get("deictic") or g.get("month"))
    return Timex(
        "TIME",
        (day or "XXXX-XX-XX") + t,
        "minute",
        anchored=day is not None and not g.get("year"),
        anaphor=None if own_day else ("day", 0, "clock"),
    )


def day_of(g: dict, ctx: Context) -> str | None:
    """The day a time of day belongs to: a date, weekday or deictic word in the match, else the DCT."""
    if g.get("month"):
        got = full(g, ctx) if g.get("year") else month_day(g, ctx)
        return got.value if got else None
    if ctx.dct is None:
        return None
    if g.get("weekday"):
        return weekday(g, ctx).value
    if g.get("deictic"):
        return (ctx.dct + timedelta(days=LEX["deictic_day"][g["deictic"].lower()])).isoformat()
    return ctx.dct.isoformat()


def daypart(g: dict, ctx: Context) -> Timex | None:
    rel = (g.get("rel") or "").lower()
    part = LEX["part_of_day"].get((g.get("part") or rel).lower())
    mod = mod_of(g.get("modword"))
    if part is None:
        return None
    if g.get("every"):
        return Timex("SET", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}T{part}", "part_of_day")
    if ctx.dct is None:
        return Timex(
            "TIME",
            f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}T{part}" if g.get("weekday") else None,
            "part_of_day",
            mod,
        )
    day = ctx.dct - timedelta(days=1) if rel == "last" else None
    value = day.isoformat() if day else day_of(g, ctx)
    return Timex(
        "TIME",
        f"{value}T{part}",
        "part_of_day",
        mod,
        anchored=True,
        anaphor=None if (g.get("weekday") or g.get("deictic") or rel) else ("day", 0, "clock"),
    )


def set_day(g: dict, ctx: Context) -> Timex | None:
    """'every Monday', 'Tuesdays' (XXXX-WXX-1), 'each July' (XXXX-07): a weekday or month that recurs."""
    if g.get("monthname"):
        return Timex("SET", f"XXXX-{MONTHS[g['monthname'].lower()]:02d}", "month")
    return Timex("SET", f"XXXX-WXX-{WEEKDAYS[g['weekday'].lower()]}", "day")


def weekend(g: dict, ctx: Context) -> Timex:
    rel = g["rel"].lower()
    if ctx.dct is None:
        return Timex("DATE", None, "week")
    if rel == "the":
        rel = "this" if ctx.tense() == "future" or ctx.dct.isoweekday() >= 6 else "last"
    n = {"this": 0, "next": 1}.get(rel, 0 if ctx.dct.isoweekday() >= 6 else -1)
    return Timex("DATE", shifted(ctx.dct, "weekend", n)[0], "week", anchored=True)


def the_year(g: dict, ctx: Context) -> Timex | None:
    """'for the year ended Sept. 30' is a year's length; 'sales for the full year' the year of publication."""
    if re.match(r"\s+(?:ended|ending)\b", ctx.after()):
        return Timex("DURATION", "P1Y", "year")
    return relative_date(ctx, "year", 0)


def year_end(g: dict, ctx: Context) -> Timex | None:
    return relative_date(ctx, "year", 0, "END")


def the_day(g: dict, ctx: Context) -> Timex | None:
    """'ended the day', 'for the week' in market reports: the day (week, ...) of publication."""
    return relative_date(ctx, g["unit"].lower(), 0)


NORMALISERS = {
    "full": full,
    "iso": iso,
    "numeric": numeric,
    "month_day": month_day,
    "month_year": month_year,
    "month": month,
    "year": year,
    "decade": decade,
    "century": century,
    "quarter": quarter,
    "half": half,
    "season": season,
    "holiday": holiday,
    "deictic": deictic,
    "mod_rel": mod_rel,
    "rel_unit": rel_unit,
    "rel_weekday": rel_weekday,
    "that_unit": that_unit,
    "rel_month": rel_month,
    "weekday": weekday,
    "ago": ago,
    "quarter_ref": quarter_ref,
    "same_period": same_period,
    "range_dur": range_dur,
    "duration": duration,
    "bare_units": bare_units,
    "reference": reference,
    "set": set_,
    "clock": clock,
    "clock_day": clock,
    "day_clock": clock,
    "clock_date": clock,
    "named": clock,
    "daypart": daypart,
    "set_day": set_day,
    "weekend": weekend,
    "the_day": the_day,
    "the_year": the_year,
    "year_end": year_end,
}
