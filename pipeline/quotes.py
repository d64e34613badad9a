"""Stage 3c: quotations and reported speech of one Doc, with speaker and cue verb.

Quotation marks are paired on the raw text (so unbalanced marks cost at most one quote and a NER-only run still
finds them); speakers, cues and reported speech come from the dependency parse when the Doc has one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np
from spacy.attrs import IDX, IS_QUOTE, LEMMA, LOWER, SENT_START
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

from pipeline.config import MODELS_DIR
from pipeline.parse import trimmed
from pipeline.rows import MentionRow, QuoteRow

_VERBS = json.loads((MODELS_DIR / "quotes" / "reporting_verbs.json").read_text(encoding="utf-8"))
_MARKS = json.loads((MODELS_DIR / "quotes" / "marks.json").read_text(encoding="utf-8"))

SPEECH_VERBS = frozenset(_VERBS["speech"])
ADDRESSEE_VERBS = frozenset(_VERBS["addressee"])
OBJECT_VERBS = frozenset(_VERBS["object"])
INFINITIVE_VERBS = frozenset(_VERBS["infinitive"])
TOPICS = {prep: frozenset(verbs) for prep, verbs in _VERBS["topic"].items()}
TOPIC_VERBS = frozenset(v for verbs in TOPICS.values() for v in verbs)
REFUSALS = frozenset(_VERBS["refusal"])
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
SEX_OF_NAME = dict(line.split("\t") for line in
                   (MODELS_DIR / "quotes" / "given_names.tsv").read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#"))
PARAGRAPH = re.compile(r"[^\n]+")
NEWLINE = re.compile(r"\n")


def _forms(lemma: str) -> set[str]:
    """Inflected forms of a regular English verb, plus the data file's irregular ones."""
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    return {lemma, lemma + "s", stem + "ed", stem + "ing", *_VERBS["irregular"].get(lemma, [])}


CUE_FORMS = {form: lemma for lemma in CUE_VERBS for form in _forms(lemma)}


@dataclass(frozen=True, slots=True)
class Marked:
    """A quotation found by its marks: content offsets, mark offsets, and whether it runs on to the next one."""

    start: int
    end: int
    open_at: int
    continues: bool = False


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who speaks: the name the attribution resolves to (start, end, entity) and the attribution's own words."""

    start: int
    end: int
    entity_id: str | None
    mention: tuple[int, int] | None = None

    def at(self, start: int, end: int) -> Speaker:
        return replace(self, mention=(start, end))

    @property
    def mention_span(self) -> tuple[int, int]:
        return self.mention or (self.start, self.end)


@dataclass(frozen=True, slots=True)
class Attribution:
    cue_at: int
    cue_end: int
    subject: Token | Speaker  # a Speaker when no parse gave a subject token


# --- quotation marks -------------------------------------------------------------------------------------------


def _opens(prev: str, nxt: str) -> bool:
    return not prev.isalnum() and not nxt.isspace()


def _closes(prev: str, nxt: str) -> bool:
    return not prev.isspace() and not nxt.isalnum()


def _scan_paragraph(text: str, pstart: int, pend: int) -> tuple[list[tuple[int, int]], int | None]:
    """(open, close) mark pairs in one paragraph, and the offset of a double mark left open at its end."""
    pairs: list[tuple[int, int]] = []
    open_d = open_s = None
    for mark in MARK.finditer(text, pstart, pend):  # only the marks: the paragraph's other characters cost nothing
        i, ch = mark.start(), mark.group()
        prev = text[i - 1] if i > pstart else " "
        nxt = text[i + 1] if i + 1 < pend else " "
        if ch in D_OPEN or (ch in D_EITHER and open_d is None):
            if ch in D_OPEN or _opens(prev, nxt):
                open_d, open_s = i, None
        elif ch in D_CLOSE or ch in D_EITHER:
            if ch in D_EITHER and _opens(prev, nxt) and (nxt.isalnum() or nxt in "[(‘'") and not _closes(prev, nxt):
                open_d, open_s = i, None  # a straight mark that can only open: the earlier one was never closed
            elif open_d is not None:
                pairs.append((open_d, i))
                open_d = None
        elif open_d is None and (ch in S_OPEN or ch in S_CLOSE or ch in S_EITHER):
            # inside a double quotation, single marks are nested quotes: left to the outer one
            if open_s is not None and ch not in S_OPEN and _closes(prev, nxt):
                pairs.append((open_s, i))
                open_s = None
            elif open_s is None and ch not in S_CLOSE and _opens(prev, nxt):
                open_s = i
    return pairs, open_d


def quotation_spans(text: str) -> list[Marked]:
    """Every quotation marked in TEXT; a double quotation left open at a paragraph end runs to that end."""
    paragraphs = [(m.start(), m.end()) for m in PARAGRAPH.finditer(text)]
    out: list[Marked] = []
    for k, (pstart, pend) in enumerate(paragraphs):
        pairs, open_d = _scan_paragraph(text, pstart, pend)
        for o, c in pairs:
            out.append(Marked(*trimmed(text, o + 1, c), o))
        if open_d is not None:
            nxt = paragraphs[k + 1] if k + 1 < len(paragraphs) else None
            continues = nxt is not None and text[nxt[0]] in OPENERS
            out.append(Marked(*trimmed(text, open_d + 1, pend), open_d, continues))
    return [m for m in out if m.end > m.start]


# --- speakers ---------------------------------------------------------------------------------------------------


_COULD_CUE: dict[tuple[int, bool], bool] = {}  # string hash -> whether that word can be a cue; hashes are stable


class Context:
    """What attribution needs about one article: its mentions, its quoted tokens, whether it was parsed."""

    def __init__(self, doc: Doc, text: str, mentions: list[MentionRow], marked: list[Marked]):
        self.doc, self.text = doc, text
        self.parsed = doc.has_annotation("DEP")
        self.lemmas = doc.has_annotation("LEMMA")
        self.mentions = sorted(mentions, key=lambda m: m.start_char)
        self.mention_starts = [m.start_char for m in self.mentions]
        self.quoted = [False] * len(doc)
        for q in marked:
            span = doc.char_span(q.start, q.end, alignment_mode="expand")
            if span is not None:
                self.quoted[span.start:span.end] = [True] * len(span)
        marks = np.array(self.quoted, dtype=bool) | (doc.to_array(IS_QUOTE) == 1) if len(doc) else np.zeros(0, bool)
        self.quoted_before = [0, *np.cumsum(marks).tolist()]
        self.quoted_at = [i for i, q in enumerate(self.quoted) if q]
        self.newlines = [m.start() for m in NEWLINE.finditer(text)]
        self.line_start, self.sent_start, self.sent_end = _token_bounds(doc, self.newlines)
        self.unquoted = [m for m in self.mentions if not self._in_quote(m.start_char)]
        self.unquoted_starts = [m.start_char for m in self.unquoted]
        self.entity_sex: dict[str, str] = {}
        for m in self.mentions:
            words = m.text.split()
            sex = SEX_OF_NAME.get(words[0].rstrip(".")) if m.label == "PERSON" and words else None
            if sex:
                self.entity_sex.setdefault(m.entity_id, sex)
        self.speakers: list[tuple[int, int, Speaker]] = []  # (sentence start, token index, resolved speaker)
        self.speaker_at: list[int] = []  # token index of each entry of speakers
        self.named_speakers: list[tuple[int, Speaker]] = []  # the ones whose subject is a proper noun
        self.cue_candidates = self._cue_candidates()
        self.cue_set = set(self.cue_candidates)

    def _cue_candidates(self) -> list[int]:
        """Indices of the tokens whose word could make them a cue; is_cue looks only at these."""
        words = self.doc.to_array([LEMMA if self.lemmas else LOWER, LOWER])
        hits = [h for h in np.unique(words[:, 0]) if self._could_cue(int(h))]
        return np.flatnonzero(np.isin(words[:, 0], hits) | (words[:, 1] == get_string_id("according"))).tolist()

    def _could_cue(self, key: int) -> bool:
        known = _COULD_CUE.get((key, self.lemmas))
        if known is None:
            if len(_COULD_CUE) > 200_000:  # a long run meets ever new words: keep the cache bounded
                _COULD_CUE.clear()
            known = _COULD_CUE[(key, self.lemmas)] = self.word(self.doc.vocab.strings[key]) in CUE_VERBS
        return known

    def mention_at(self, start: int, end: int) -> MentionRow | None:
        k = bisect.bisect_right(self.mention_starts, start) - 1
        if k >= 0 and self.mentions[k].end_char >= end:
            return self.mentions[k]
        return None

    def mentions_before(self, offset: int) -> Iterator[MentionRow]:
        """Mentions outside quotations that start before OFFSET, nearest first."""
        k = bisect.bisect_left(self.unquoted_starts, offset)
        return (self.unquoted[j] for j in range(k - 1, -1, -1))

    def candidates_in(self, start: int, end: int) -> list[int]:
        """Cue candidates among tokens START:END."""
        return self.cue_candidates[bisect.bisect_left(self.cue_candidates, start):
                                   bisect.bisect_left(self.cue_candidates, end)]

    def first_quoted(self, start: int, end: int) -> int | None:
        k = bisect.bisect_left(self.quoted_at, start)
        return self.quoted_at[k] if k < len(self.quoted_at) and self.quoted_at[k] < end else None

    def fits(self, pronoun: str, who: MentionRow | Speaker) -> bool:
        """Whether WHO may be what PRONOUN refers to: he/she against a known sex, they/we never one person."""
        if isinstance(who, Speaker):
            mention = self.mention_at(who.start, who.end)
            label, sex = (mention.label if mention else None), self.sex(who.entity_id, self.text[who.start:who.end])
        else:
            label, sex = who.label, self.sex(who.entity_id, who.text)
        if pronoun in PRONOUN_SEX:
            return sex is None or sex == PRONOUN_SEX[pronoun]
        return label != "PERSON" and sex is None

    def sex(self, entity_id: str | None, text: str) -> str | None:
        """The sex a person's given name or honorific tells, here or at another mention of the same entity."""
        words = text.split()
        first = SEX_OF_NAME.get(words[0].rstrip(".")) if words else None
        return first or self.entity_sex.get(entity_id)

    def sent(self, tok: Token) -> Span:
        return self.doc[self.sent_start[tok.i]:self.sent_end[tok.i]]

    def has_quote(self, start: int, end: int) -> bool:
        """Whether tokens START:END hold a quoted token or a quotation mark."""
        return self.quoted_before[end] > self.quoted_before[start]

    def paragraph(self, offset: int) -> tuple[int, int]:
        """Character bounds of the line holding OFFSET."""
        k = bisect.bisect_left(self.newlines, offset)
        return (self.newlines[k - 1] + 1 if k else 0), (self.newlines[k] if k < len(self.newlines) else len(self.text))

    def _in_quote(self, offset: int) -> bool:
        span = self.doc.char_span(offset, offset + 1, alignment_mode="expand")
        return span is not None and len(span) > 0 and self.quoted[span[0].i]

    def lemma(self, tok: Token) -> str:
        return self.word(tok.lemma_ if self.lemmas else tok.lower_)

    def word(self, lemma_or_form: str) -> str:
        """A token's lemma in lower case, or without a lemmatizer the lemma its form inflects."""
        return lemma_or_form.lower() if self.lemmas else CUE_FORMS.get(lemma_or_form, "")


def _token_bounds(doc: Doc, newlines: list[int]) -> tuple[list[int], list[int], list[int]]:
    """For every token: the index of the first token of its line, and its sentence's token bounds."""
    n = len(doc)
    if n == 0:
        return [], [], []
    starts = doc.to_array(IDX).astype(np.int64)
    line_first = np.searchsorted(starts, np.asarray(newlines, dtype=np.int64) + 1)  # first token of each next line
    line_start = np.concatenate(([0], line_first))[np.searchsorted(newlines, starts, side="right")]
    sent_firsts = np.array([0])
    if doc.has_annotation("SENT_START") or doc.has_annotation("DEP"):
        sent_firsts = np.union1d(sent_firsts, np.flatnonzero(doc.to_array(SENT_START) == 1))
    k = np.searchsorted(sent_firsts, np.arange(n), side="right") - 1
    sent_ends = np.append(sent_firsts[1:], n)
    return line_start.tolist(), sent_firsts[k].tolist(), sent_ends[k].tolist()


def last_char(text: str, end: int) -> str:
    """The last non-space character of TEXT before END, or ''."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[end - 1] if end > 0 else ""


def noun_phrase(tok: Token, ctx: Context) -> tuple[int, int]:
    """Character span of TOK's phrase, cut before a comma-separated appositive or a clause ('statements speaking of')."""
    end_tok = tok.right_edge
    for child in tok.rights:
        if (child.dep_ == "punct" and child.text in ",;(—–-") or child.dep_ in NOUN_LINKS:
            end_tok = tok.doc[child.left_edge.i - 1]
            break
    if end_tok.i - tok.i > 30:  # a parse gone wrong: the head alone
        end_tok = tok
    start_tok = tok.doc[max(tok.left_edge.i, ctx.line_start[tok.i])]
    if ctx.line_start[end_tok.i] > tok.i:
        end_tok = tok
    while start_tok.i < tok.i and (start_tok.is_punct or start_tok.is_space or start_tok.dep_ in ("cc", "preconj")):
        start_tok = tok.doc[start_tok.i + 1]
    start, end = start_tok.idx, end_tok.idx + len(end_tok)
    phrase = tok.doc[start_tok.i:end_tok.i + 1].text
    if phrase.count("(") > phrase.count(")"):  # "World Health Organization (WHO": leave the bracket out
        end = start + phrase.rindex("(")
        end = start + len(phrase[: end - start].rstrip())
    return start, end


def resolve_pronoun(tok: Token, ctx: Context) -> Speaker | None:
    """The nearest compatible earlier speaker or named entity for the pronoun TOK."""
    word = tok.lower_
    k = bisect.bisect_left(ctx.speaker_at, tok.i)
    last = ctx.speakers[k - 1] if k and ctx.fits(word, ctx.speakers[k - 1][2]) else None
    if last is not None and last[0] == ctx.sent_start[tok.i]:
        return last[2]
    if word in PERSON_PRONOUNS:
        person = antecedent_person(tok, ctx)
        n = bisect.bisect_left(ctx.named_speakers, tok.i, key=lambda e: e[0])
        named = ctx.named_speakers[n - 1][1] if n else None
        named = named if named is not None and ctx.fits(word, named) else None
        if named and (person is None or person.end_char < named.start):
            return named  # a named speaker after the last PERSON mention: the entity stage may have missed it
        return Speaker(person.start_char, person.end_char, person.entity_id) if person else None
    if last is not None and tok.i - last[1] < 80:
        return last[2]
    named = next((m for m in islice(ctx.mentions_before(tok.idx), 40) if m.label in GROUPS), None)
    return Speaker(named.start_char, named.end_char, named.entity_id) if named else None


def antecedent_person(tok: Token, ctx: Context) -> MentionRow | None:
    """The nearest earlier PERSON, preferring within a sentence one that is a clause's subject."""
    nearby = islice(ctx.mentions_before(tok.idx), 200)
    people = list(islice((m for m in nearby if m.label == "PERSON" and ctx.fits(tok.lower_, m)), 12))
    if not people:
        return None
    sent = ctx.doc.char_span(people[0].start_char, people[0].end_char, alignment_mode="expand")
    if not ctx.parsed or sent is None:
        return people[0]
    sent = ctx.sent(sent[0])
    same = [m for m in people if m.start_char >= sent.start_char]
    for m in same:
        span = ctx.doc.char_span(m.start_char, m.end_char, alignment_mode="expand")
        if span is not None and span.root.dep_ in ("nsubj", "nsubjpass", "appos"):
            return m
    return people[0]


def resolve_speaker(subject: Token | Speaker, ctx: Context) -> Speaker:
    """The speaker span for a subject token: its entity mention, a resolved pronoun, or its noun phrase."""
    if isinstance(subject, Speaker):
        return subject
    if subject.lower_ in RELATIVES and subject.head.dep_ == "relcl":  # "Smith, who said": who is Smith
        return resolve_speaker(subject.head.head, ctx).at(subject.idx, subject.idx + len(subject))
    if subject.lower_ in PERSON_PRONOUNS | OTHER_PRONOUNS:
        resolved = resolve_pronoun(subject, ctx)
        if resolved is not None:
            return resolved.at(subject.idx, subject.idx + len(subject))
    return resolve_named(subject, ctx).at(*noun_phrase(subject, ctx))


def resolve_named(subject: Token, ctx: Context) -> Speaker:
    mention = ctx.mention_at(subject.idx, subject.idx + len(subject))
    if mention is None or mention.label != "PERSON":
        # "Bank president Okey Oramah", "ISNA, the prosecutor general, Ali Alghasi Mehr,": the person speaks
        mention = appositive_person(subject, ctx) or mention
    if mention is not None:
        return Speaker(mention.start_char, mention.end_char, mention.entity_id)
    start, end = noun_phrase(subject, ctx)
    # "Judge Durham Hall QC": the phrase names a person just before its head
    inner = ctx.mention_at(subject.idx - 2, subject.idx - 1) if subject.pos_ == "PROPN" else None
    named = inner if inner is not None and inner.label == "PERSON" and inner.start_char >= start else None
    return Speaker(start, end, named.entity_id if named else None)


def appositive_person(tok: Token, ctx: Context) -> MentionRow | None:
    """The PERSON in apposition to a title: "The Vice President, Mike Pence," / "Early opponent MP Tanya Davies"."""
    for child in tok.rights:
        if child.dep_ in ("appos", "npadvmod"):
            for t in child.subtree:
                mention = ctx.mention_at(t.idx, t.idx + len(t))
                if mention is not None and mention.label == "PERSON":
                    return mention
    return None


def own_subject(cue: Token, ctx: Context) -> Token | None:
    """CUE's own subject: nsubj, passive agent, an inverted subject ("..., said KCNA"), or the phrase before it."""
    subjects = [c for c in cue.children if c.dep_ in SUBJECTS]
    if subjects:
        subject = subjects[-1]  # the nearest: a parse run across lines can give a verb two
        return subject
    agent = next((c for c in cue.children if c.dep_ == "agent"), None)
    if agent is not None:
        return next((c for c in agent.children if c.dep_ == "pobj"), None)
    after_comma = (cue.i > 0 and cue.doc[cue.i - 1].is_punct and cue.lemma_ not in ADDRESSEE_VERBS
                   and cue.tag_ != "VBG")  # '..., citing low growth': a participle's object is content
    inverted = [c for c in cue.rights if after_comma and c.dep_ in ("dobj", "attr", "npadvmod", "dative")
                and c.pos_ in ("PROPN", "NOUN") and c.i - cue.i <= 4 and c.ent_type_ not in TIME_ENTS]
    if inverted:
        return inverted[0]
    # a name the parser left as a modifier: "Axios, citing officials, wrote that ..."
    named = [c for c in cue.lefts if c.dep_ in ("advmod", "npadvmod", "dep", "nmod") and c.ent_type_ in NAMED]
    if named:
        return named[-1]
    return phrase_before(cue, ctx) or name_before(cue, ctx)


def name_before(cue: Token, ctx: Context) -> Token | None:
    """A name just before CUE, maybe set off by a comma: "..., Jamel Msallem, said"."""
    j = cue.i - 1
    while j >= 0 and cue.doc[j].is_punct and cue.i - j <= 2:
        j -= 1
    tok = cue.doc[j] if j >= 0 else None
    return tok if tok is not None and tok.ent_type_ in NAMED and ctx.line_start[cue.i] <= tok.i else None


def phrase_before(cue: Token, ctx: Context) -> Token | None:
    """The noun phrase ending just before CUE on its line, when the parser tied the two apart."""
    if cue.i == 0 or cue.dep_ not in ("conj", "dep", "ROOT"):
        return None
    first = ctx.line_start[cue.i]
    top = cue.doc[cue.i - 1]
    while (top.head.i < cue.i and top.head.i != top.i and top.head.right_edge.i == cue.i - 1
           and top.head.i >= first):
        top = top.head
    if top.pos_ == "VERB":  # "Officials in Kyiv briefed on the plan said": a participle read as the verb
        top = next((c for c in top.children if c.dep_ in SUBJECTS), top)
    ok = (top.pos_ in ("NOUN", "PROPN", "NUM", "PRON") and top.i >= first
          and top.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "QUANTITY"))
    return top if ok and top.dep_ not in ("pobj", "poss", "compound") else None


def subject_of(cue: Token, ctx: Context, depth: int = 0) -> Token | None:
    """The token naming who speaks through CUE: its own subject, the noun it modifies, or its governor's subject."""
    if cue.lower_ == "according":
        to = cue.doc[cue.i + 1] if cue.i + 1 < len(cue.doc) else None
        return next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
    subject = own_subject(cue, ctx)
    if subject is not None:
        return subject
    if cue.dep_ in NOUN_LINKS and cue.head.pos_ in ("NOUN", "PROPN", "PRON"):
        return cue.head
    if cue.dep_ in ("conj", "advcl") and cue.head.lemma_ not in CUE_VERBS:
        # "X said Y accepted the plan and called it ...", "X said Y must face charges, adding ...": a cue tied
        # to a verb inside a reported clause most likely belongs with the reporting verb (parsers attach low)
        outer = next((a for a in cue.ancestors if a.lemma_ in SPEECH_VERBS and a.pos_ == "VERB"), None)
        if outer is not None:
            return subject_of(outer, ctx, depth + 1)
    if cue.dep_ in CLAUSE_LINKS and cue.head.i != cue.i and depth < 3:
        return subject_of(cue.head, ctx, depth + 1)
    return None


# --- cues -------------------------------------------------------------------------------------------------------


def _negated(cue: Token) -> bool:
    """'did not say', 'refused to say': what follows was not said."""
    if cue.head.lemma_ in REFUSALS and any(c.dep_ == "aux" and c.lower_ == "to" for c in cue.children):
        return True
    return any(c.dep_ == "neg" for c in cue.children)


def _unsaid(cue: Token) -> bool:
    """'did not say', 'refused to say': no words of this cue are quoted (a report of it still is speech)."""
    return any(c.dep_ == "neg" or (c.dep_ == "aux" and c.lower_ == "to") for c in cue.children)


def is_cue(tok: Token, ctx: Context, verbs: frozenset[str]) -> bool:
    if tok.i not in ctx.cue_set or ctx.quoted[tok.i]:
        return False
    if tok.lower_ == "according":
        return tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "to"
    if ctx.lemma(tok) not in verbs:
        return False
    # "did not say", "refused to say", "the inability to predict": nothing was said
    return not ctx.parsed or (tok.pos_ in ("VERB", "AUX", "") and not _negated(tok))


def cue_end(cue: Token) -> int:
    last = cue.doc[cue.i + 1] if cue.lower_ == "according" else cue
    return last.idx + len(last)


def window(ctx: Context, q: Marked) -> list[Span]:
    """Sentences that may hold the attribution of Q: its own, the next after '...,"', the one before a colon."""
    doc, text = ctx.doc, ctx.text
    first = doc.char_span(q.start, q.end, alignment_mode="expand")
    if first is None or len(first) == 0:
        return []
    sents = [ctx.sent(first[0])]
    if ctx.sent_start[first[-1].i] != sents[0].start:
        sents.append(ctx.sent(first[-1]))
    last = sents[-1]
    after = text[q.end + 1:q.end + 40].lstrip(" \"”’'")
    runs_on = text[q.end - 1] in ",—-!?" or after[:1].islower()  # '"...," he said' / '"...?" asked the mayor'
    if last.end < len(doc) and doc[last.end - 1].idx <= q.end:
        nxt = ctx.sent(doc[last.end])
        if runs_on or len(nxt) <= 8:  # '"..." Trump said.': an attribution of its own after the closing mark
            sents.append(nxt)
    if last_char(text, q.open_at) == ":" and sents[0].start > 0:
        sents.insert(0, ctx.sent(doc[sents[0].start - 1]))
    return sents


def paragraph_of(q: Marked, ctx: Context) -> tuple[int, int]:
    """Character bounds of Q's paragraph, widened to the previous one when that ends with a colon."""
    lo, hi = ctx.paragraph(q.open_at)[0], ctx.paragraph(q.end)[1]
    colon = ctx.text.rfind(":", max(0, lo - 3), lo)  # the previous paragraph ends with a colon
    if colon >= 0 and not ctx.text[colon + 1:lo].strip():
        lo = ctx.paragraph(colon)[0]
    return lo, hi


def attribute_marked(q: Marked, ctx: Context) -> Attribution | None:
    """The cue and subject of a marked quotation: the nearest reporting verb (or 'according to') with a subject."""
    doc = ctx.doc
    content = doc.char_span(q.start, q.end, alignment_mode="expand")
    if content is None or len(content) == 0:
        return None
    lo, hi = paragraph_of(q, ctx)
    cues = [doc[i] for sent in window(ctx, q) for i in ctx.candidates_in(sent.start, sent.end)
            if lo <= doc[i].idx < hi and is_cue(doc[i], ctx, CUE_VERBS) and not _unsaid(doc[i])]
    ancestors = {a.i for t in (content[0], content[-1]) for a in islice(t.ancestors, 50)} if ctx.parsed else set()
    cues.sort(key=lambda t: (t.i not in ancestors, min(abs(t.i - content.start), abs(t.i - content.end))))
    for cue in cues:
        if ctx.parsed:
            subject = subject_of(cue, ctx)
            outside = subject.right_edge.i < content.start or subject.left_edge.i >= content.end if subject else False
            if subject is not None and lo <= subject.idx < hi and outside:
                outer = outer_report(cue, ctx) if ctx.lemma(cue) not in SPEECH_VERBS else None
                return outer or Attribution(cue.idx, cue_end(cue), subject)
        else:
            speaker = nearest_named(cue, ctx)
            if speaker is not None:
                return Attribution(cue.idx, cue_end(cue), speaker)
    return headline_speaker(q, ctx)


def outer_report(cue: Token, ctx: Context) -> Attribution | None:
    """'Rubio said he called him "a con artist"': the cue whose clausal complement holds CUE speaks."""
    tok, outer = cue, None
    for _ in range(6):
        if tok.dep_ != "ccomp" or tok.head.i == tok.i:
            break
        tok = tok.head
        if is_cue(tok, ctx, SPEECH_VERBS) and (subject := own_subject(tok, ctx)) is not None:
            outer = Attribution(tok.idx, cue_end(tok), subject)
    return outer


def headline_speaker(q: Marked, ctx: Context) -> Attribution | None:
    """'Trump: "I'm the worst thing ..."': a name opening its line, then a colon, then the quotation."""
    colon = q.open_at - 1
    while colon > 0 and ctx.text[colon].isspace():
        colon -= 1
    if ctx.text[colon] != ":" or colon - ctx.paragraph(colon)[0] > 80:
        return None
    k = bisect.bisect_left(ctx.mention_starts, colon) - 1
    name = ctx.mentions[k] if k >= 0 else None
    if name is None or name.end_char < colon - 1 or name.label not in NAMED - {"GPE"}:
        return None
    return Attribution(colon, colon + 1, Speaker(name.start_char, name.end_char, name.entity_id))


def nearest_named(cue: Token, ctx: Context) -> Speaker | None:
    """Without a parse: a pronoun next to the cue, else the named entity nearest to it in its sentence."""
    doc, sent = ctx.doc, ctx.sent(cue)
    for j in (cue.i - 1, cue.i + 1):
        if sent.start <= j < sent.end and doc[j].lower_ in PERSON_PRONOUNS | OTHER_PRONOUNS and not ctx.quoted[j]:
            return resolve_pronoun(doc[j], ctx)
    near = [m for m in ctx.unquoted if sent.start_char <= m.start_char < sent.end_char and m.label in NAMED]
    best = min(near, key=lambda m: abs(m.start_char - cue.idx), default=None)
    return Speaker(best.start_char, best.end_char, best.entity_id) if best else None


def is_partial(q: Marked, cue: Token | None, ctx: Context) -> bool:
    """A quoted fragment inside a sentence of the writer's, not a whole utterance introduced by its cue."""
    end = q.open_at
    while end > 0 and ctx.text[end - 1].isspace():
        end -= 1
    if end == 0 or not (ctx.text[end - 1].isalnum() or ctx.text[end - 1] in "])"):
        return False
    prev = ctx.doc.char_span(end - 1, end, alignment_mode="expand")
    if prev is None or len(prev) == 0:
        return True
    word = prev[-1]
    if cue is not None and ctx.parsed:
        if word.i == cue.i:
            return False
        if ctx.lemma(cue) not in SPEECH_VERBS:
            return True  # "called it "a non-starter"": such verbs take fragments, never whole utterances
        path = [word, *word.ancestors]
        if cue in path:
            # direct only when the words between cue and mark just say when, where or to whom it was said:
            # 'said on Friday "..."', 'told Reuters "..."'; 'said the victims were "..."' is a fragment
            return not all(t.dep_ in FRAME_DEPS or (t.dep_ in ("dobj", "dative") and t.pos_ in ("PROPN", "PRON"))
                           for t in path[:path.index(cue)])
    if cue is not None and word.lower_ == cue.lower_:
        return False
    return ctx.text[q.start].islower() or len(ctx.text[q.start:q.end].split()) < 4


def is_title(q: Marked, text: str) -> bool:
    """"The Internet Explorer 6 Countdown", "Reproductive Health Care Reform Bill 2019": a name, not speech."""
    words = text[q.start:q.end].split()
    return all(w[:1].isupper() or not w[:1].isalpha() for w in words) and text[q.end - 1] not in ".!?,"


def worth_keeping(q: Marked, text: str) -> bool:
    """An unattributed quotation is kept only when it reads like speech, not a title or a scare-quoted word."""
    return len(text[q.start:q.end].split()) >= 4


# --- rows -------------------------------------------------------------------------------------------------------


def _row(article_id: str, text: str, start: int, end: int, kind: str, speaker: Speaker | None,
         cue: tuple[int, int] | None) -> QuoteRow:
    ms, me = speaker.mention_span if speaker else (None, None)
    return QuoteRow(article_id, start, end, text[start:end], kind,
                    text[ms:me] if speaker else None, ms, me,
                    text[speaker.start:speaker.end] if speaker else None,
                    speaker.start if speaker else None, speaker.end if speaker else None,
                    speaker.entity_id if speaker else None,
                    text[cue[0]:cue[1]] if cue else None, cue[0] if cue else None, cue[1] if cue else None)


def _cue_token(ctx: Context, attr: Attribution) -> Token | None:
    span = ctx.doc.char_span(attr.cue_at, attr.cue_end, alignment_mode="expand")
    return span[0] if span is not None and len(span) else None


def marked_rows(marked: list[Marked], ctx: Context, article_id: str) -> list[QuoteRow]:
    """Rows for quotations in marks; a piece without its own cue shares the speaker of its neighbour piece."""
    attrs = [attribute_marked(q, ctx) for q in marked]
    for k in range(len(marked) - 2, -1, -1):  # a paragraph-spanning quotation is attributed at its end
        if attrs[k] is None and marked[k].continues:
            attrs[k] = attrs[k + 1]
    for k in range(1, len(marked)):  # "...," he said. "..." : the second piece takes the first one's speaker
        previous = attrs[k - 1]
        if attrs[k] is None and previous is not None and _adjacent(marked[k - 1], marked[k], previous, ctx.text):
            attrs[k] = attrs[k - 1]
    rows = []
    for q, attr in zip(marked, attrs):
        if is_title(q, ctx.text) or (attr is None and not worth_keeping(q, ctx.text)):
            continue
        speaker = resolve_speaker(attr.subject, ctx) if attr else None
        cue_tok = _cue_token(ctx, attr) if attr else None
        kind = "partial" if is_partial(q, cue_tok, ctx) else "direct"
        cue = (attr.cue_at, attr.cue_end) if attr else None
        rows.append(_row(article_id, ctx.text, q.start, q.end, kind, speaker, cue))
    return rows


def _adjacent(a: Marked, b: Marked, attr: Attribution, text: str) -> bool:
    """B follows A with nothing but A's attribution between them, in one paragraph or continuing it."""
    gap = text[a.end + 1:b.open_at]
    if a.continues:
        return True
    if "\n" in gap.strip() or len(gap) > 400:
        return False
    return a.end < attr.cue_at < b.open_at or not any(ch.isalnum() for ch in gap)


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Token range START:END without leading 'that' or punctuation and trailing punctuation."""
    while start < end and (doc[start].is_punct or doc[start].is_space or doc[start].dep_ == "cc"
                           or (doc[start].dep_ == "mark" and doc[start].lower_ not in QUESTION_MARKS)):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].dep_ == "cc"):
        end -= 1
    return start, end


def _clause_end(clause: Token, cue: Token, ctx: Context) -> int:
    """Token end of CLAUSE, cut before a nested reporting clause (", which he said would ...")."""
    end = clause.right_edge.i + 1
    for tok in map(ctx.doc.__getitem__, ctx.candidates_in(clause.i + 1, end)):
        if (tok.i != cue.i and is_cue(tok, ctx, SPEECH_VERBS) and any(c.dep_ == "ccomp" for c in tok.children)
                and own_subject(tok, ctx) is not None):
            return min(end, tok.left_edge.i)  # the first one: later ones lie inside what it reports
    return end


def _new_clause(doc: Doc, start: int, end: int) -> bool:
    """Whether tokens START:END open a clause of their own (", some of whom were ..."), not the rest of a predicate."""
    return any(t.tag_ in ("WDT", "WP", "WP$") for t in doc[start:min(end, start + 4)])


def reported_clauses(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """Token ranges of what CUE reports: its clausal complement, or for 'according to' the clause it qualifies."""
    if cue.lower_ == "according":
        return according_clause(cue, ctx)
    out = clausal_complements(cue, ctx)
    if not out:
        out = nominal_complement(cue, ctx)
    if not out and cue.dep_ == "parataxis" and ctx.lemma(cue) in SPEECH_VERBS:
        out = parenthetical_host(cue, ctx)
    return out


def according_clause(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """What 'according to X' sources: the rest of its sentence when it opens or closes one, else its clause."""
    doc = ctx.doc
    lo, hi = cue.i, _phrase_end(doc, cue.i + 1)
    first, last = _trim(doc, ctx.sent_start[cue.i], ctx.sent_end[cue.i])
    first, last = max(first, ctx.line_start[cue.i]), min(last, _line_end(ctx, cue.i))
    if lo <= first:
        clause = _trim(doc, hi, last)
    elif hi >= last:
        clause = _trim(doc, first, lo)
    else:
        clause = _parsed_according_clause(cue, ctx)
        if clause is None:
            return []
    return [clause] if not _reports_inside(ctx, *clause) and not ctx.has_quote(*clause) else []


def _reports_inside(ctx: Context, start: int, end: int, clause: bool = True) -> bool:
    """Whether a cue among tokens START:END reports a clause of its own (or, when not CLAUSE, anything): then it,
    not the outer cue, is the row ('cited the Air Force as stating ...')."""
    return any(is_cue(t, ctx, SPEECH_VERBS) and (not clause or any(c.dep_ == "ccomp" for c in t.children))
               for t in map(ctx.doc.__getitem__, ctx.candidates_in(start, end)))


def _phrase_end(doc: Doc, to: int) -> int:
    """End of 'to X': X's phrase, but never past a comma, semicolon or dash the parser let it run over."""
    end = doc[to].right_edge.i + 1
    for i in range(to + 2, min(end, to + 30)):
        if doc[i].text in (",", ";", "—", "–", "("):
            return i
    return end


def _line_end(ctx: Context, i: int) -> int:
    return bisect.bisect_right(ctx.line_start, ctx.line_start[i])


def _parsed_according_clause(cue: Token, ctx: Context) -> tuple[int, int] | None:
    """'according to X' inside a clause: the clause it qualifies, when X sources all of it."""
    doc = ctx.doc
    head = cue.head
    while head.dep_ == "conj" and head.head.pos_ in ("VERB", "AUX"):
        head = head.head
    nested = head.lemma_ in SPEECH_VERBS and any(c.dep_ == "ccomp" for c in head.children)
    if head.pos_ not in ("VERB", "AUX") or nested:
        return None  # "According to the Herald, X said ...": the inner cue reports it
    left, right = _trim(doc, head.left_edge.i, head.right_edge.i + 1)
    lo, hi = cue.left_edge.i, cue.right_edge.i + 1
    after = _trim(doc, hi, right)[0] - 1  # "..., according to X, but ...": X sources the part before
    ends_clause = hi >= right - 1 or _new_clause(doc, hi, right) or (after >= hi and doc[after].dep_ == "cc")
    clause = (hi, right) if lo <= left + 1 else (left, lo) if ends_clause else None
    if clause and clause[1] == lo:
        before = doc[_trim(doc, left, lo)[1] - 1] if _trim(doc, left, lo)[1] > left else None
        if before is None or before.pos_ == "AUX" or doc[lo - 1].dep_ == "cc" or doc[lo - 2].dep_ == "cc":
            return None  # "One child was, according to X, among the dead": X sources only part of the clause
    return clause


def _quotes_free(ctx: Context, start: int, end: int) -> bool:
    """No quotation inside tokens START:END nor right after them: then the quotation is the row."""
    return not ctx.has_quote(start, end) and not _quote_follows(ctx, end)


def _quote_follows(ctx: Context, end: int) -> bool:
    nxt = end + 1 if end < len(ctx.doc) and ctx.doc[end].is_space else end
    return nxt < len(ctx.doc) and ctx.has_quote(nxt, nxt + 1)


def nominal_complement(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """What a verb like 'endorsed', 'criticized', 'vowed', 'talked about' takes: its object, infinitive or topic."""
    lemma = ctx.lemma(cue)
    first = next((c for c in cue.rights if _content_child(c, lemma)), None)
    if first is None:
        return []
    start, end = first.left_edge.i, first.right_edge.i + 1
    if first.dep_ == "prep":  # 'called for the resignation': what was called for, without 'for'
        start = next(c for c in first.children if c.dep_ in ("pobj", "pcomp")).left_edge.i
    if first.dep_ == "xcomp":  # 'urged Congress to act': who is to act belongs to what was urged
        start = min([start] + [c.left_edge.i for c in cue.rights if c.dep_ in ("dobj", "dative") and c.i < first.i])
    for child in cue.rights:  # 'endorsed Cruz for president', 'announced steps to tighten ...': the rest of the clause
        if child.i <= first.i or child.dep_ in ("dobj", "dative"):
            continue
        if child.dep_ not in ("prep", "xcomp", "advcl", "oprd", "ccomp") or ctx.doc[child.left_edge.i - 1].is_punct:
            break
        if child.ent_type_ in TIME_ENTS or any(c.ent_type_ in TIME_ENTS for c in child.children):
            break
        end = child.right_edge.i + 1
    return [(start, end)] if _quotes_free(ctx, start, end) and not _reports_inside(ctx, start, end, False) else []


def _content_child(child: Token, lemma: str) -> bool:
    if child.dep_ == "dobj":
        return lemma in OBJECT_VERBS and child.ent_type_ not in TIME_ENTS
    if child.dep_ == "xcomp":
        return lemma in INFINITIVE_VERBS
    if child.dep_ != "prep" or lemma not in TOPICS.get(child.lower_, ()):
        return False
    obj = next((c for c in child.children if c.dep_ in ("pobj", "pcomp")), None)
    return obj is not None and obj.ent_type_ not in TIME_ENTS


def parenthetical_host(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """'..., she said, but ...': the clause around the cue, which must have a subject of its own."""
    host = cue.head
    if host.pos_ not in ("VERB", "AUX") or not any(c.dep_ in SUBJECTS | {"nsubjpass", "expl"} for c in host.children):
        return []
    start, end = host.left_edge.i, host.right_edge.i + 1
    if cue.right_edge.i >= end - 2:
        end = cue.left_edge.i
    elif cue.left_edge.i <= start:
        start = cue.right_edge.i + 1
    return [(start, end)] if _quotes_free(ctx, start, end) else []


def _clausal(child: Token) -> bool:
    """A ccomp, or a clause the parser took for an xcomp ('said legalizing it could ...', not 'vowed to')."""
    return child.dep_ == "ccomp" or (child.dep_ == "xcomp" and child.tag_ != "VB" and child.i > child.head.i
                                     and any(t.dep_ == "ccomp" for t in child.children))


def clausal_complements(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """Token ranges of the clausal complements of CUE ('said (that) ...')."""
    doc = ctx.doc
    out = []
    for comp in cue.children:
        if not _clausal(comp) or (is_cue(comp, ctx, SPEECH_VERBS) and any(c.dep_ == "ccomp" for c in comp.children)):
            continue  # "X reported a source said ...": the inner cue reports it
        start, end = comp.left_edge.i, _clause_end(comp, cue, ctx)
        first_quoted = ctx.first_quoted(start, end)
        if first_quoted is not None:
            # "it would amount to ... and called it a "play"": the part before the coordinated quoting clause
            conj = next((a for a in islice(doc[first_quoted].ancestors, 50) if a.dep_ == "conj" and a.i > comp.i
                         and comp in a.ancestors), None)
            if conj is not None:
                end = min(end, conj.left_edge.i)
            else:  # "said it is possible "..." and the ban followed ...": the coordinated clauses free of marks
                out += [(c.left_edge.i, c.right_edge.i + 1) for c in comp.rights if c.dep_ == "conj"
                        and c.pos_ in ("VERB", "AUX") and any(g.dep_ in SUBJECTS for g in c.children)
                        and not ctx.has_quote(c.left_edge.i, c.right_edge.i + 1)]
        if (first_quoted is None and _quote_follows(ctx, end)) or ctx.first_quoted(start, end) is not None:
            continue  # reported speech quoting its words: the quotation is the row
        out.append((start, end))
    return out


def _one_paragraph(ctx: Context, start: int, end: int, *tokens: Token) -> bool:
    """Clause and cue share a paragraph, and no semicolon stands between them."""
    lo = min(start, *(t.i for t in tokens))
    hi = max(end - 1, *(t.i for t in tokens))
    between = ctx.text[ctx.doc[lo].idx:ctx.doc[hi].idx]
    inner = ctx.text[ctx.doc[start].idx:ctx.doc[end - 1].idx]
    return "\n" not in between and between.count(";") == inner.count(";")


def indirect_rows(ctx: Context, article_id: str) -> list[QuoteRow]:
    """Rows for reported speech: 'X said (that) ...', 'X told Y ...', 'according to X, ...'."""
    rows = []
    for cue in map(ctx.doc.__getitem__, ctx.cue_candidates):
        if not is_cue(cue, ctx, REPORTING_VERBS):
            continue
        subject = subject_of(cue, ctx)
        if (subject is None and not passive(cue)) or _purpose_or_imperative(cue, ctx):
            continue
        for start, end in reported_clauses(cue, ctx):
            if start >= end:
                continue  # the cue ends the text: nothing reported
            start, end = _trim(ctx.doc, start, end)
            anchors = (cue,) if subject is None else (cue, subject)
            inside = [t for t in anchors if start <= t.i < end and not cue.left_edge.i <= t.i <= cue.right_edge.i]
            if end - start < (1 if ctx.doc[start].pos_ == "PROPN" else 2) or inside or not _one_paragraph(ctx, start, end, *anchors):
                continue
            span = ctx.doc[start:end]
            speaker = resolve_speaker(subject, ctx) if subject is not None else None
            rows.append(_row(article_id, ctx.text, span.start_char, span.end_char, "indirect", speaker,
                             (cue.idx, cue_end(cue))))
    return rows


def _purpose_or_imperative(cue: Token, ctx: Context) -> bool:
    """'dispatched to confirm the object', 'don't tell anyone': nobody reports anything."""
    if any(c.dep_ == "aux" and c.lower_ == "to" for c in cue.children):
        return cue.dep_ == "advcl" and cue.head.pos_ == "VERB" and cue.head.tag_ == "VBN"
    return any(c.dep_ == "neg" for c in cue.children) and own_subject(cue, ctx) is None


def passive(cue: Token) -> bool:
    """'is said to', 'was asked whether': speech whose speaker the sentence does not name."""
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in cue.children)


def remember_speakers(ctx: Context) -> None:
    """Non-pronoun subjects of every cue, in text order, for resolving later pronouns."""
    found = []
    for cue in map(ctx.doc.__getitem__, ctx.cue_candidates):
        if is_cue(cue, ctx, CUE_VERBS):
            subject = own_subject(cue, ctx) if cue.lower_ != "according" else subject_of(cue, ctx)
            if subject is not None and subject.lower_ in RELATIVES and cue.dep_ == "relcl":
                subject = cue.head
            if subject is not None and subject.lower_ not in PERSON_PRONOUNS | OTHER_PRONOUNS | RELATIVES:
                found.append((subject, resolve_speaker(subject, ctx)))
    found.sort(key=lambda pair: pair[0].i)
    ctx.speakers = [(ctx.sent_start[subject.i], subject.i, speaker) for subject, speaker in found]
    ctx.speaker_at = [subject.i for subject, _ in found]
    ctx.named_speakers = [(subject.i, speaker) for subject, speaker in found if subject.pos_ == "PROPN"]


def extract_quotes(doc: Doc, *, article_id: str, text: str, mentions: list[MentionRow]) -> list[QuoteRow]:
    """Quotations in marks (direct or partial) and reported speech (indirect), each with speaker and cue."""
    marked = quotation_spans(text)
    ctx = Context(doc, text, mentions, marked)
    if ctx.parsed:
        remember_speakers(ctx)
    rows = marked_rows(marked, ctx, article_id)
    if ctx.parsed:
        rows += indirect_rows(ctx, article_id)
    unique = {(r.start_char, r.end_char): r for r in rows}
    return sorted(unique.values(), key=lambda r: r.start_char)
