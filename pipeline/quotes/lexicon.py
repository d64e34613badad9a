"""Word lists and marks the quote rules read, loaded once from models/quotes/."""

from __future__ import annotations

import json
import re

from pipeline.config import MODELS_DIR

_VERBS = json.loads((MODELS_DIR / "quotes" / "reporting_verbs.json").read_text(encoding="utf-8"))
_MARKS = json.loads((MODELS_DIR / "quotes" / "marks.json").read_text(encoding="utf-8"))

SPEECH_VERBS = frozenset(_VERBS["speech"])
ADDRESSEE_VERBS = frozenset(_VERBS["addressee"])
OBJECT_VERBS = frozenset(_VERBS["object"])
INFINITIVE_VERBS = frozenset(_VERBS["infinitive"])
TOPICS = {prep: frozenset(verbs) for prep, verbs in _VERBS["topic"].items()}
TOPIC_VERBS = frozenset(v for verbs in TOPICS.values() for v in verbs)
REFUSALS = frozenset(_VERBS["refusal"])
LEAD_INS = frozenset(_VERBS["lead_in"])
EMPTY_OBJECTS = frozenset(_VERBS["empty_object"])
TIME_ENTS = frozenset({"DATE", "TIME"})
D_OPEN, D_CLOSE, D_EITHER = (frozenset(_MARKS[k]) for k in ("double_open", "double_close", "double_either"))
S_OPEN, S_CLOSE, S_EITHER = (frozenset(_MARKS[k]) for k in ("single_open", "single_close", "single_either"))
OPENERS = D_OPEN | D_EITHER
MARK = re.compile("[" + re.escape("".join(D_OPEN | D_CLOSE | D_EITHER | S_OPEN | S_CLOSE | S_EITHER)) + "]")

REPORTING_VERBS = SPEECH_VERBS | OBJECT_VERBS | INFINITIVE_VERBS | TOPIC_VERBS
CUE_VERBS = REPORTING_VERBS | frozenset(_VERBS["quote_only"])
_WORDS = json.loads((MODELS_DIR / "quotes" / "pronouns.json").read_text(encoding="utf-8"))
PRONOUN_SEX: dict[str, str] = _WORDS["person"]
PERSON_PRONOUNS = frozenset(PRONOUN_SEX)
OTHER_PRONOUNS = frozenset(_WORDS["other"])
RELATIVES = frozenset(_WORDS["relative"])
QUESTION_MARKS = frozenset(_WORDS["question_marks"])
FRAME_DEPS = frozenset({"prep", "pobj", "npadvmod", "advmod", "compound", "det", "amod", "nummod", "poss", "case"})
SUBJECTS = frozenset({"nsubj", "csubj"})
CLAUSE_LINKS = frozenset({"conj", "advcl", "xcomp", "pcomp", "ccomp", "prep", "dep"})
NOUN_LINKS = frozenset({"acl", "relcl"})
NAMED = frozenset({"PERSON", "ORG", "GPE", "NORP"})
GROUPS = NAMED - {"PERSON"}
SEX_OF_NAME = dict(
    line.split("\t")
    for line in (MODELS_DIR / "quotes" / "given_names.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)
PARAGRAPH = re.compile(r"[^\n]+")
NEWLINE = re.compile(r"\n")


def _forms(lemma: str) -> set[str]:
    """Inflected forms of a regular English verb, plus the data file's irregular ones."""
    stem = lemma.removesuffix("e")
    return {lemma, lemma + "s", stem + "ed", stem + "ing", *_VERBS["irregular"].get(lemma, [])}


CUE_FORMS = {form: lemma for lemma in CUE_VERBS for form in _forms(lemma)}
