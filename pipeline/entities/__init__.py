"""Stage 3a: named-entity mentions of one Doc, repaired and voted, and canonical entities over many articles."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

import pyarrow as pa
from rapidfuzz import fuzz

from pipeline.config import MODELS_DIR
from pipeline.rows import EntityRow, MentionRow

if TYPE_CHECKING:  # the writing process rebuilds the entities table without importing spaCy
    from spacy.tokens import Doc, Token

DATA = MODELS_DIR / "entities"
LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
# Ties between labels go to the first one here.
LABEL_ORDER = ["GPE", "ORG", "PERSON", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"]
POSSESSIVE = {"'s", "’s", "'", "’", "ʼs", "ʼ"}
CONNECTORS = {"of", "and", "for", "the", "&"}
MAX_NAME_TOKENS = 4
MENTION_COLUMNS = ["entity_id", "entity_name", "text", "article_id", "label"]  # what entity_rows reads
TALLY_KEYS = ["entity_id", "kind", "value"]
TALLY_SCHEMA = pa.schema(
    [*(pa.field(k, pa.string(), nullable=False) for k in TALLY_KEYS), pa.field("n", pa.int64(), nullable=False)]
)
MIN_MERGE_ROWS = 1_000_000  # part tallies wait until they hold this many rows (or the total's) to be merged
Votes = defaultdict[str, float]  # label -> weight of the evidence for it
DECISIVE = 100.0  # a gazetteer or honorific vote no count of model labels can outweigh
PATTERN_VOTE = 1.5  # name-shape evidence beats one model label, loses to two
# A bare surname's model label counts less than its full name's ("Leroy Chiao" ... "Chiao"), and less again when the
# full name starts with a known given name.
SHORT_FORM_WEIGHT = 0.5


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _fold_chars(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = re.sub(r"['’ʼ`´.]", "", bare.lower())
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())  # letters of every script stay


FOLDING = [(re.compile(p), r) for p, r in (line.split("\t") for line in _lines("folding.tsv"))]
HONORIFICS = {f for h in _lines("honorifics.txt") for f in (h, h + ".", h.upper(), h.upper() + ".")}
TITLES = {t.lower() for t in _lines("titles.txt")}
SURNAME_ENDINGS = tuple(s.strip().lower() for s in _lines("person_suffixes.txt"))
FIRST_NAMES = set(_lines("first_names.txt"))
PLACE_BEFORE = {w for side, w in (line.split("\t") for line in _lines("place_context.txt")) if side == "before"}
PLACE_AFTER = {w for side, w in (line.split("\t") for line in _lines("place_context.txt")) if side == "after"}
NOT_PERSON_LAST = {w for side, w in (line.split("\t") for line in _lines("non_person_words.tsv")) if side == "last"}
NOT_PERSON_FIRST = {w for side, w in (line.split("\t") for line in _lines("non_person_words.tsv")) if side == "first"}
DEMONYM_ENDINGS = tuple(_lines("demonym_endings.txt"))
DEMONYM_NOUNS = set(_lines("demonym_nouns.txt"))
PARTICLES = set(_lines("name_particles.txt"))
LEGAL_SUFFIXES = {tuple(_fold_chars(line).split()) for line in _lines("legal_suffixes.txt")}
LEGAL_SUFFIX_SIZES = sorted({len(s) for s in LEGAL_SUFFIXES}, reverse=True)
# Tokens that end a name: a name never runs across a line break, a score ("Otago 245-6") or a spaced dash.
NAME_BREAKS = {"-", "–", "—", ",", ":", ";", "|", "/"}
NUMBERLESS_LABELS = {"PERSON", "GPE", "LOC", "NORP", "ORG"}
INITIAL = re.compile(r"[A-Z]\.")
SCORE_MAX_DIGITS = 3
SCORE = re.compile(r"\d+(?:\.\d+)?(?:-\d+)+")  # "2-1", "245-6", "10.2-1-38-2": never part of a name


def _fold_word(word: str) -> str:
    for pattern, repl in FOLDING:
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """Accent-, case-, apostrophe- and transliteration-insensitive key of a name ("Zelenskiy" -> "zelensky")."""
    words = _fold_chars(name).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(_fold_word(w) for w in words)


def _load_aliases() -> dict[str, tuple[str, str]]:
    out = {}
    for line in _lines("aliases.tsv"):
        alias, canonical, label = line.split("\t")
        out[fold(alias)] = (canonical, label)
    return out


def _load_places() -> dict[str, tuple[str, int]]:
    out = {}
    for line in _lines("places.tsv"):
        name, label, tier = line.split("\t")
        out[name] = (label, int(tier))
    return out


ALIASES = _load_aliases()
GIVEN_NAMES = {fold(name) for name in FIRST_NAMES}
NOT_ENTITIES = {fold(line) for line in _lines("not_entities.txt")}
PLACES = _load_places()
FOLDED_PLACES = {fold(name) for name in PLACES}
GAZETTEER_NAMES = set(PLACES) | {line.split("\t")[0] for line in _lines("aliases.tsv")}
GAZETTEER_FIRST_WORDS = {name.split()[0] for name in GAZETTEER_NAMES}


@lru_cache(maxsize=65536)
def base_key(name: str) -> str:
    """The folded name without legal suffixes ("Apple Inc." and "Apple" -> "apple"): what identity hangs on. A
    name is never cut down to a place's: "Minsk Group" and "Virginia Co." are not Minsk and Virginia."""
    words = fold(name).split()
    while len(words) > 1:
        size = next((n for n in LEGAL_SUFFIX_SIZES if n < len(words) and tuple(words[-n:]) in LEGAL_SUFFIXES), 0)
        if not size or " ".join(words[:-size]) in FOLDED_PLACES:
            break
        words = words[:-size]
    return " ".join(words)


def entity_id(name: str, label: str | None = None) -> str:
    """Stable id of a canonical name: the same in every run, on every machine. The label enters only for a name
    the corpus uses for two different kinds of entity (see entities.resolve)."""
    key = base_key(name) if label is None else f"{label}|{base_key(name)}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Span:
    """A candidate mention over tokens [start, end) with the evidence gathered for its label."""

    start: int
    end: int
    label: str
    honorific: bool = False
    votes: Votes = field(default_factory=lambda: Votes(float))
    name: str = ""


def is_honorific(token: Token) -> bool:
    return token.text in HONORIFICS


def is_name_word(token: Token) -> bool:
    return (token.is_title or token.is_upper) and token.is_alpha and not is_honorific(token)


def at_sentence_start(doc: Doc, i: int) -> bool:
    j = i - 1
    while j >= 0 and (doc[j].is_space or doc[j].is_quote or doc[j].text in "([—–-"):
        j -= 1
    return j < 0 or doc[i].is_sent_start or doc[j].text in {".", "!", "?", ":", ";"} or "\n" in doc[j].whitespace_


def model_spans(doc: Doc) -> list[Span]:
    return [Span(e.start, e.end, e.label_, votes=Votes(float, {e.label_: 1.0})) for e in doc.ents if e.label_ in LABELS]


def attach_honorifics(doc: Doc, words: list[str], spans: list[Span]) -> list[Span]:
    """ "Mr Zelenskiy": the honorific joins the name's span (found by the model or not) and makes it a PERSON."""
    covered = {i: s for s in spans for i in range(s.start, s.end)}
    out = list(spans)
    for i in (i for i, word in enumerate(words) if word in HONORIFICS):
        if i + 1 >= len(doc) or not is_name_word(doc[i + 1]):
            continue
        span = covered.get(i) or covered.get(i + 1)
        if span is None:
            end = i + 1
            while end < len(doc) and end - i <= 3 and is_name_word(doc[end]):
                end += 1
            span = Span(i, end, "PERSON")
            out.append(span)
        elif span.start == i + 1:
            span.start = i
        span.honorific = True
        span.votes["PERSON"] += DECISIVE
    return out


def trim(doc: Doc, span: Span) -> Span | None:
    """Span without possessives, lowercase titles and articles, trailing common nouns and job titles of a PERSON."""
    start, end = span.start, span.end
    # "Free Trade Area (AfCFTA": an opening bracket the span does not close ends the name.
    opened = [i for i in range(start, end) if doc[i].is_left_punct and doc[i].is_bracket]
    if opened and not any(doc[i].is_right_punct and doc[i].is_bracket for i in range(opened[-1], end)):
        end = opened[-1]
    end = next((i for i in range(start + 1, end) if is_score_at(doc, i)), end)
    while end > start and (doc[end - 1].text in POSSESSIVE or doc[end - 1].is_punct):
        end -= 1
    # "the People party" -> "People": a lowercase word after a name is not part of it ("Ministry of defence",
    # "Hau Lung-bin" and "SN 2006gy" are).
    while (
        end - start > 1
        and is_lower_word(doc[end - 1])
        and doc[end - 2].lower_ not in CONNECTORS | PARTICLES
        and doc[end - 2].whitespace_
    ):
        end -= 1
    while end - start > 1 and doc[end - 1].lower_ in CONNECTORS and doc[end - 2].whitespace_:
        end -= 1
    while start < end and (
        doc[start].is_punct
        or is_lower_word(doc[start])
        and doc[start].whitespace_
        and doc[start].lower_ not in PARTICLES
    ):
        start += 1
    if start < end and doc[start].lower_ == "the" and (at_sentence_start(doc, start) or span.label != "ORG"):
        start += 1
    if span.label == "PERSON" and not span.honorific:
        while end - start > 1 and doc[start].lower_ in TITLES and doc[start + 1].is_title:
            start += 1
    if start >= end or not any(c.isupper() or c.isdigit() for c in doc[start:end].text):
        return None
    span.start, span.end = start, end
    return span


def is_score_at(doc: Doc, i: int) -> bool:
    """ "Liechtenstein 5-0", "Surrey 429-7": a result the tokenizer split ("5", "-", "0") ends the name before it;
    a catalogue number ("GSC 02620-00648") has longer parts."""
    parts = doc[i : i + 3]
    return (
        len(parts) == 3
        and not parts[0].whitespace_
        and not parts[1].whitespace_
        and parts[1].text in "-–"
        and all(t.text.isdigit() and len(t.text) <= SCORE_MAX_DIGITS for t in (parts[0], parts[2]))
    )


def split_at_breaks(doc: Doc, span: Span) -> list[Span]:
    """ "DENVER\nPortland", "Leeds 3 Fulham 2", "Peru - Juan Torres": the pieces between breaks, same label."""
    pieces, start = [], span.start
    for i in range(span.start, span.end):
        if is_name_break(doc, i, span.label):
            pieces.append((start, i))
            start = i + 1
    if start == span.start:
        return [span]
    pieces.append((start, span.end))
    return [
        Span(a, b, span.label, span.honorific and a == span.start, Votes(float, span.votes)) for a, b in pieces if a < b
    ]


def is_name_break(doc: Doc, i: int, label: str) -> bool:
    token = doc[i]
    if token.is_space:
        return "\n" in token.text
    spaced = i > 0 and bool(doc[i - 1].whitespace_) and bool(token.whitespace_)
    number = not any(c.isalpha() for c in token.text) and any(c.isdigit() for c in token.text)
    return (spaced and token.text in NAME_BREAKS) or (
        number and (label in NUMBERLESS_LABELS or SCORE.fullmatch(token.text) is not None)
    )


def is_lower_word(token: Token) -> bool:
    return token.is_lower and token.is_alpha


def extend_the(doc: Doc, span: Span) -> None:
    """ "by The Telegraph": a capitalised The inside a sentence belongs to a newspaper's or group's name."""
    i = span.start - 1
    if span.label == "ORG" and i >= 0 and doc[i].text == "The" and not at_sentence_start(doc, i):
        span.start = i


def merge_of_chains(doc: Doc, spans: list[Span], surnames: set[str]) -> list[Span]:
    """ "Servant" + "of the" + "People" (ORG) -> one ORG: a lone capitalised word joined to an ORG by "of (the)"."""
    spans = sorted(spans, key=lambda s: s.start)
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        gap = [t.lower_ for t in doc[prev.end : span.start]] if prev and span.start - prev.end <= 2 else []
        if (
            prev
            and span.label == "ORG"
            and gap in (["of"], ["of", "the"])
            and prev.end - prev.start == 1
            and not prev.honorific
            and doc[prev.start].text not in surnames
            and doc[prev.start].text not in GAZETTEER_NAMES
        ):
            prev.end, prev.label, prev.votes = span.end, "ORG", span.votes
            continue
        out.append(span)
    return out


def gazetteer_spans(doc: Doc, words: list[str], spans: list[Span]) -> list[Span]:
    """Known places and organisations the model left untagged; a city only in a place context ("Donetsk region")."""
    covered = {i for s in spans for i in range(s.start, s.end)} | {i for e in doc.ents for i in range(e.start, e.end)}
    out, next_free = [], 0
    for i in (i for i, word in enumerate(words) if word in GAZETTEER_FIRST_WORDS):
        if i < next_free or i in covered or doc[i].pos_ not in ("PROPN", ""):
            continue
        for j in range(min(i + MAX_NAME_TOKENS, len(doc)), i, -1):
            name = doc[i:j].text
            if name in GAZETTEER_NAMES and not covered.intersection(range(i, j)):
                label = PLACES[name][0] if name in PLACES else ALIASES[fold(name)][1]
                span = Span(i, j, label, votes=Votes(float, {label: 1.0}))
                if PLACES.get(name, ("", 0))[1] == 0 or in_place_context(doc, span):
                    out.append(span)
                next_free = j
                break
    return out


def name_of(doc: Doc, span: Span) -> str:
    start = span.start + 1 if span.honorific else span.start
    return doc[start : span.end].text


def looks_like_person(doc: Doc, span: Span, surnames: set[str]) -> bool:
    """ "Rustem Umerov" tagged ORG: a given name, a known surname or a surname ending, and no organisation head."""
    tokens = doc[span.start : span.end]
    if (
        not 2 <= len(tokens) <= 3
        or not all(is_name_part(t) for t in tokens)
        or tokens[-1].text in NOT_PERSON_LAST
        or tokens[0].text in NOT_PERSON_FIRST
    ):
        return False
    last = tokens[-1].text
    return last in surnames or tokens[0].text in FIRST_NAMES or last.lower().endswith(SURNAME_ENDINGS)


def is_name_part(token: Token) -> bool:
    """A capitalised word ("Umerov", "Jean-Pierre") or an initial ("W.")."""
    word = token.text.rstrip(".")
    return token.text[:1].isupper() and word.replace("-", "").isalpha() and (not token.is_upper or len(word) == 1)


def is_demonym(doc: Doc, span: Span) -> bool:
    """ "Ukrainian and American officials", "a Briton": a lone nationality adjective or noun is NORP, not a place
    or a person."""
    token = doc[span.start]
    return span.end - span.start == 1 and (
        token.text in DEMONYM_NOUNS or token.tag_ == "JJ" and token.is_title and token.lower_.endswith(DEMONYM_ENDINGS)
    )


def is_language_modifier(doc: Doc, span: Span) -> bool:
    """ "the English county championship": a language's name modifying a noun is a nationality ("in English" is not)."""
    token = doc[span.start]
    return (
        span.label == "LANGUAGE"
        and span.end - span.start == 1
        and token.dep_ in ("amod", "compound")
        and token.head.i > token.i
        and token.head.pos_ in ("NOUN", "PROPN")
    )


def place_vote(doc: Doc, span: Span, name: str, last_words: set[str]) -> tuple[str, float] | None:
    """A known place's label; not for a surname ("Margaret Hassan" ... "Hassan"), nor for a city named like a
    person ("Austin") that the model calls PERSON outside a place context."""
    if name not in PLACES or span.honorific or name in last_words:
        return None
    label, tier = PLACES[name]
    if tier >= 1 and span.label == "PERSON" and not in_place_context(doc, span):
        return None
    return label, DECISIVE


def in_place_context(doc: Doc, span: Span) -> bool:
    """ "in Austin", "Luhansk region", "the Donetsk and Luhansk regions"."""
    before = doc[span.start - 1].lower_ if span.start > 0 else ""
    end = span.end
    if end + 1 < len(doc) and doc[end].lower_ in ("and", "or", ","):
        end += 1
        while end < len(doc) and is_name_word(doc[end]):
            end += 1
    after = doc[end].lower_ if end < len(doc) else ""
    return before in PLACE_BEFORE or after in PLACE_AFTER


def add_votes(doc: Doc, spans: list[Span], surnames: set[str]) -> None:
    last_words = {
        doc[s.end - 1].text
        for s in spans
        if s.end - s.start > 1 and s.name not in PLACES and all(map(is_name_part, doc[s.start : s.end]))
    }
    for span in spans:
        name = span.name
        if (vote := place_vote(doc, span, name, last_words)) is not None:
            span.votes[vote[0]] += vote[1]
        elif (alias := ALIASES.get(fold(name))) is not None and not span.honorific:
            span.votes[alias[1]] += DECISIVE
        if span.label != "PERSON" and looks_like_person(doc, span, surnames):
            span.votes["PERSON"] += PATTERN_VOTE
        if span.label in ("GPE", "LOC", "ORG", "PERSON") and is_demonym(doc, span) or is_language_modifier(doc, span):
            span.votes["NORP"] += PATTERN_VOTE


@dataclass(slots=True)
class Group:
    """Mentions of one name in one article: the full form's key and every span that votes with it."""

    key: str
    spans: list[Span] = field(default_factory=list)
    names: Counter = field(default_factory=Counter)
    ambiguous: bool = False  # a bare surname shared by two full names in the article

    def votes(self) -> Votes:
        total = Votes(float)
        for span in self.spans:
            for label, weight in span.votes.items():
                total[label] += weight
        return total

    def label(self) -> str:
        """The label with most votes; a tie goes to the longest mention's model label."""
        votes = self.votes()
        longest = max(self.spans, key=lambda s: s.end - s.start).label
        return max(votes, key=lambda label: (votes[label], label == longest, -LABEL_ORDER.index(label)))


def group_mentions(doc: Doc, spans: list[Span]) -> list[Group]:
    """Groups by folded name; a one-word name joins the only multi-word PERSON-like name ending with it."""
    groups: dict[str, Group] = {}
    for span in spans:
        name = span.name
        group = groups.setdefault(fold(name), Group(fold(name)))
        group.spans.append(span)
        group.names[name] += 1
    join_acronyms(groups)
    full = merge_same_person(
        [g for g in groups.values() if " " in g.key and g.label() == "PERSON" and is_person_shaped(g)], groups
    )
    for key, group in sorted(groups.items(), key=lambda kv: -len(kv[0].split())):
        if group.label() != "PERSON" and max(group.votes().values(), default=0) >= DECISIVE:
            continue
        owners = [g for g in full if g.key in groups and g is not group and is_short_form(key, g.key)]
        if len(owners) == 1:
            weight = SHORT_FORM_WEIGHT / 2 if is_given_name_shaped(owners[0]) else SHORT_FORM_WEIGHT
            for span in group.spans:
                span.votes = Votes(float, {label: n * weight for label, n in span.votes.items()})
            owners[0].spans.extend(group.spans)
            del groups[key]
        group.ambiguous = len(owners) > 1
    join_given_names(full, groups)
    return list(groups.values())


def join_given_names(full: list[Group], groups: dict[str, Group]) -> None:
    """ "Randall" after "Randall Cunningham": a lone known given name tagged PERSON joins the one full name of the
    article that starts with it, when no full name ends with it ("Clinton" of "Bill Clinton" and "Clinton Smith" is
    no one's); "Spitzer" of "Spitzer Space Telescope" is no given name."""
    first_of: dict[str, list[Group]] = defaultdict(list)
    last_words = set()
    for owner in (g for g in full if g.key in groups):
        first_of[owner.key.split()[0]].append(owner)
        last_words.add(owner.key.split()[-1])
    for key, group in list(groups.items()):
        owners = first_of.get(key, [])
        if (
            " " in key
            or len(owners) != 1
            or key in last_words
            or key not in GIVEN_NAMES
            or group.ambiguous
            or group.label() != "PERSON"
        ):
            continue
        for span in group.spans:
            span.votes = Votes(float, {label: n * SHORT_FORM_WEIGHT for label, n in span.votes.items()})
        owners[0].spans.extend(group.spans)
        del groups[key]


def join_acronyms(groups: dict[str, Group]) -> None:
    """ "World Health Organization (WHO)", "General Motors ... GM": an acronym joins the one name it abbreviates."""
    by_initials: dict[str, list[Group]] = defaultdict(list)
    for group in groups.values():
        for initials in acronyms_of(group.key) if group.label() != "PERSON" else ():
            by_initials[initials].append(group)
    for key, group in list(groups.items()):
        owners = by_initials.get(key, []) if is_acronym_group(group) else []
        if len(owners) == 1:
            owners[0].spans.extend(group.spans)
            del groups[key]


def is_acronym_group(group: Group) -> bool:
    return " " not in group.key and all(is_acronym(n) for n in group.names)


def is_acronym(name: str) -> bool:
    """ "WHO", "U.N.", "NASA": two to six capitals, dots allowed."""
    letters = name.replace(".", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def acronyms_of(key: str) -> set[str]:
    """Folded initials of a multi-word folded name, with and without its connector words."""
    words = key.split()
    if len(words) < 2:
        return set()
    return {"".join(w[0] for w in words), "".join(w[0] for w in words if w not in CONNECTORS)} - {""}


def is_person_shaped(group: Group) -> bool:
    """Not "Space Shuttle Atlantis" nor "Hurricane Lorenzo", whatever the model says."""
    words = [n.split() for n in group.names]
    return any(w[0] not in NOT_PERSON_FIRST and w[-1] not in NOT_PERSON_LAST for w in words)


def is_given_name_shaped(group: Group) -> bool:
    """A known given name first or a surname ending last ("Leroy Chiao"); "Space Shuttle Atlantis" is not."""
    words = [n.split() for n in group.names if " " in n]
    return any(w[0] in FIRST_NAMES or w[-1].lower().endswith(SURNAME_ENDINGS) for w in words)


def merge_same_person(full: list[Group], groups: dict[str, Group]) -> list[Group]:
    """ "Colin A. Norman" and "Colin Norman": full names with the same first and last word are one person."""
    by_ends: dict[tuple[str, str], Group] = {}
    for group in sorted(full, key=lambda g: -sum(g.names.values())):
        words = group.key.split()
        first = by_ends.setdefault((words[0], words[-1]), group)
        if first is not group:
            first.spans.extend(group.spans)
            first.names.update(group.names)
            del groups[group.key]
    return list(by_ends.values())


def is_short_form(short: str, full: str) -> bool:
    """ "witkoff" or "van gogh" of "steve witkoff" / "theo van gogh": the full name's last words."""
    short_words, full_words = short.split(), full.split()
    if not short_words or len(short_words) >= len(full_words):
        return False
    tail = full_words[-len(short_words) :]
    return tail[:-1] == short_words[:-1] and surname_matches(tail[-1], short_words[-1])


def surname_matches(surname: str, word: str) -> bool:
    # rapidfuzz joins near-spellings left after folding ("zelensky" / "zelenski"); short words must match exactly.
    return surname == word or (min(len(surname), len(word)) >= 6 and fuzz.ratio(surname, word) >= 88)


def canonical(group: Group, label: str) -> str:
    """The group's full name as written most often; a known alias maps to its table name."""
    multi = [n for n in group.names if " " in n] or list(group.names)
    name = min(multi, key=lambda n: (n.isupper(), -group.names[n], -len(n), n))
    alias = None if group.ambiguous else ALIASES.get(fold(name))
    return alias[0] if alias and alias[1] == label else name


def candidate_spans(doc: Doc, text: str = "") -> list[Span]:
    words = [t.text for t in doc]
    spans = attach_honorifics(doc, words, model_spans(doc))
    spans = [p for s in spans for p in split_at_breaks(doc, s)]
    spans = [s for s in (trim(doc, s) for s in spans) if s is not None]
    for span in spans:
        extend_the(doc, span)
    spans = resegment_capital_spans(doc, spans, text)
    for span in spans:
        extend_capital_place(doc, span, text)
    spans = unique(spans + initial_spans(doc))
    spans = unique(spans + repeated_spans(doc, spans))
    surnames = {doc[s.end - 1].text for s in spans if s.label == "PERSON" and s.end - s.start > 1}
    spans = merge_of_chains(doc, spans + gazetteer_spans(doc, words, spans), surnames)
    for span in spans:
        span.name = name_of(doc, span)
    spans = [s for s in spans if fold(s.name) and fold(s.name) not in NOT_ENTITIES]
    add_votes(doc, spans, surnames)
    return spans


def resegment_capital_spans(doc: Doc, spans: list[Span], text: str) -> list[Span]:
    """A span on an all-capital line the parser saw re-cased ("SPRINGBOKS FINALLY", "AUSTRIA DOMINATE SCOTLAND")
    that the article never writes elsewhere is cut into the names (and surnames) it does write elsewhere; words
    between them go."""
    capital = [is_on_capital_line(doc, s, text) for s in spans]
    if not any(capital):
        return spans
    known = {span_words(doc, s): s for s, cap in zip(spans, capital) if not cap}
    for words, span in list(known.items()):
        if span.label == "PERSON" and len(words) > 1:
            known.setdefault(words[-1:], span)  # "Woolmer" of "Bob Woolmer"
    out = []
    for span, cap in zip(spans, capital):
        pieces = known_pieces(doc, span, known) if cap and span_words(doc, span) not in known else []
        out.extend(pieces or [span])
    return out


def extend_capital_place(doc: Doc, span: Span, text: str) -> None:
    """ "NEW YORK" re-cased "new York" (the article writes "new" elsewhere): the word before a name on a capital line
    belongs to it when together they are a known place."""
    i = span.start - 1
    if i < 0 or not text or not doc[i].is_lower or not text[doc[i].idx : doc[i].idx + len(doc[i])].isupper():
        return
    if f"{doc[i].text.capitalize()} {doc[span.start : span.end].text}" in GAZETTEER_NAMES:
        span.start = i


def is_on_capital_line(doc: Doc, span: Span, text: str) -> bool:
    start, end = doc[span.start].idx, doc[span.end - 1].idx + len(doc[span.end - 1])
    return span.end - span.start > 1 and text[start:end].isupper() and text[start:end] != doc.text[start:end]


def span_words(doc: Doc, span: Span) -> tuple[str, ...]:
    return tuple(t.text for t in doc[span.start : span.end])


def known_pieces(doc: Doc, span: Span, known: dict[tuple[str, ...], Span]) -> list[Span]:
    """The longest names of KNOWN in SPAN, left to right."""
    pieces, i = [], span.start
    while i < span.end:
        j = next((j for j in range(span.end, i, -1) if tuple(t.text for t in doc[i:j]) in known), None)
        if j is None:
            i += 1
            continue
        model = known[tuple(t.text for t in doc[i:j])]
        pieces.append(Span(i, j, model.label, model.honorific, Votes(float, {model.label: 1.0})))
        i = j
    return pieces


def initial_spans(doc: Doc) -> list[Span]:
    """ "T. Marsden", "G. W. Bush": initials before a capitalised word are a person's name."""
    out, i = [], 0
    while i < len(doc):
        j = i
        while j < len(doc) and INITIAL.fullmatch(doc[j].text) and doc[j].whitespace_:
            j += 1
        if j > i and j < len(doc) and doc[j].is_title and doc[j].is_alpha and len(doc[j]) > 1 and not doc[j].is_stop:
            out.append(Span(i, j + 1, "PERSON", votes=Votes(float, {"PERSON": PATTERN_VOTE})))
        i = j + 1
    return out


def repeated_spans(doc: Doc, spans: list[Span]) -> list[Span]:
    """A name the article tags once is a name wherever it is written again ("Otago" in a results table)."""
    names: dict[str, dict[tuple[str, ...], Span]] = defaultdict(dict)
    for span in spans:
        words = tuple(t.text for t in doc[span.start : span.end])
        if any(c.isupper() for c in words[0][:1]) and not (
            len(words) == 1 and (doc[span.start].is_stop or len(words[0]) < 3)
        ):
            names[words[0]].setdefault(words, span)
    taken = {i for s in spans for i in range(s.start, s.end)}
    out, i = [], 0
    while i < len(doc):
        found = None
        if i not in taken and doc[i].text in names and doc[i].ent_type_ in LABELS | {""}:
            found = max(
                (
                    w
                    for w in names[doc[i].text]
                    if tuple(t.text for t in doc[i : i + len(w)]) == w and not taken.intersection(range(i, i + len(w)))
                ),
                key=len,
                default=None,
            )
        if found is None:
            i += 1
            continue
        model = names[doc[i].text][found]
        out.append(Span(i, i + len(found), model.label, model.honorific, Votes(float, {model.label: 1.0})))
        i += len(found)
    return out


def unique(spans: list[Span]) -> list[Span]:
    """Spans without overlaps; the first (longest) wins when two cover the same token."""
    out: list[Span] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if not taken.intersection(range(span.start, span.end)):
            out.append(span)
            taken.update(range(span.start, span.end))
    return out


def extract_mentions(doc: Doc, *, article_id: str, text: str) -> list[MentionRow]:
    """Mentions of named entities, each labelled by its name's vote and linked to its canonical entity."""
    out = []
    for group in group_mentions(doc, candidate_spans(doc, text)):
        label = group.label()
        name = canonical(group, label)
        eid = entity_id(name)
        for span in group.spans:
            start, end = doc[span.start].idx, doc[span.end - 1].idx + len(doc[span.end - 1])
            out.append(MentionRow(article_id, start, end, text[start:end], label, eid, name))
    return sorted(out, key=lambda m: m.start_char)


def entity_rows(mention_parts: Iterable[pa.Table]) -> list[EntityRow]:
    """One row per entity_id over all parts: its name written in full most often, label by votes, aliases, counts.

    Each part (a table with MENTION_COLUMNS) is reduced at once to a tally of (entity_id, kind, value, n)
    rows: each name with its count, each alias, each label with its count, the part's distinct articles. Tallies
    are summed as they come, so memory follows the distinct entities and their names and aliases, not the
    mentions; article counts add up exactly because an article lives in exactly one part. Waiting tallies are
    merged once they outgrow the running total, so merging costs time linear in their rows. Nothing depends
    on the order of parts.
    """
    total, waiting, waiting_rows = TALLY_SCHEMA.empty_table(), [], 0
    for part in mention_parts:
        waiting.append(part_tally(part))
        waiting_rows += waiting[-1].num_rows
        if waiting_rows >= max(total.num_rows, MIN_MERGE_ROWS):
            total, waiting, waiting_rows = merge_tallies([total, *waiting]), [], 0
    return rows_of_tally(merge_tallies([total, *waiting]))


def part_tally(mentions: pa.Table) -> pa.Table:
    """The tally of one part's mentions: names with counts, aliases, labels, distinct articles."""
    names = mentions.group_by(["entity_id", "entity_name"]).aggregate([([], "count_all")])
    aliases = mentions.group_by(["entity_id", "text"]).aggregate([])
    labels = mentions.group_by(["entity_id", "label"]).aggregate([([], "count_all")])
    articles = mentions.group_by("entity_id").aggregate([("article_id", "count_distinct")])
    return pa.concat_tables(
        [
            tally("name", names["entity_id"], names["entity_name"], names["count_all"]),
            tally("alias", aliases["entity_id"], aliases["text"]),
            tally("label", labels["entity_id"], labels["label"], labels["count_all"]),
            tally("articles", articles["entity_id"], counts=articles["article_id_count_distinct"]),
        ]
    )


def tally(
    kind: str, entity_ids: pa.ChunkedArray, values: pa.ChunkedArray | None = None, counts: pa.ChunkedArray | None = None
) -> pa.Table:
    size = len(entity_ids)
    return pa.table(
        {
            "entity_id": entity_ids,
            "kind": pa.repeat(kind, size),
            "value": pa.repeat("", size) if values is None else values,
            "n": pa.repeat(0, size) if counts is None else counts,
        },
        schema=TALLY_SCHEMA,
    )


def merge_tallies(tallies: list[pa.Table]) -> pa.Table:
    """One row per (entity_id, kind, value), counts summed."""
    merged = pa.concat_tables(tallies).group_by(TALLY_KEYS).aggregate([("n", "sum")])
    return pa.table({**{k: merged[k] for k in TALLY_KEYS}, "n": merged["n_sum"]}, schema=TALLY_SCHEMA)


def rows_of_tally(total: pa.Table) -> list[EntityRow]:
    ordered = total.sort_by("entity_id")
    rows = itertools.chain.from_iterable(b.to_pylist() for b in ordered.to_batches(max_chunksize=65_536))
    return [entity_row(eid, group) for eid, group in itertools.groupby(rows, key=itemgetter("entity_id"))]


def entity_row(eid: str, tallied: Iterable[dict]) -> EntityRow:
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for row in tallied:
        by_kind[row["kind"]][row["value"]] = row["n"]
    names, labels = by_kind["name"], by_kind["label"]
    # The name as written in full most often ("Barack Obama", not "Obama" nor "OBAMA"); the label by all votes.
    name = min(names, key=lambda n: (n.isupper(), " " not in n, -names[n], n))
    label = min(labels, key=lambda lb: (-labels[lb], LABEL_ORDER.index(lb)))
    return EntityRow(eid, name, label, sorted(by_kind["alias"]), sum(names.values()), by_kind["articles"][""])
