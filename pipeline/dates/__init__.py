"""Stage 3b: temporal expressions of one Doc as TIMEX3, resolved against the publication date.

Rule design after HeidelTime: word classes (models/dates/lexicon.json, lexicon.py) expand into the regexes of
models/dates/rules.tsv; each rule names the normaliser (normalise.py) that turns its groups into a TIMEX3 value,
with calendar arithmetic in calendar_math.py and the clause's tense in context.py. extract.py keeps the longest
non-overlapping candidates, adds spaCy DATE/TIME entities that dateparser reads as an absolute date, and resolves
anaphoric expressions against the narrative's last date. Relative values need the publication date (DCT);
without one they stay null or XXXX-..., never today.
"""

from pipeline.dates.extract import extract_dates

__all__ = ["extract_dates"]
