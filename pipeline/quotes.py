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
from spacy.attrs import LEMMA, LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

from pipeline.config import MODELS_DIR
from pipeline.parse import trimmed
from pipeline.rows import MentionRow, QuoteRow

_VERBS = json.loads((MODELS_DIR / "quotes" / "reporting_verbs.json").read_text(encoding="utf-8"))
_MARKS = json.loads((MODELS_DIR / "quotes" / "marks.json").read_text(encoding="utf-8"))

SPEECH_VERBS = frozenset(_VERBS["speech"])
CUE_VERBS = SPEECH_VERBS | frozenset(_VERBS["quote_only"]) | frozenset(_VERBS["object"])
ADDRESSEE_VERBS = frozenset(_VERBS["addressee"])
OBJECT_VERBS = frozenset(_VERBS["object"])
QUESTION_VERBS = frozenset(_VERBS["question"])
TOPIC_PREPS = frozenset(_VERBS["topic_prepositions"])
TIME_ENTS = frozenset({"DATE", "TIME"})
D_OPEN, D_CLOSE, D_EITHER = (frozenset(_MARKS[k]) for k in ("double_open", "double_close", "double_either"))
S_OPEN, S_CLOSE, S_EITHER = (frozenset(_MARKS[k]) for k in ("single_open", "single_close", "single_either"))
OPENERS = D_OPEN | D_EITHER

PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
OTHER_PRONOUNS = frozenset({"it", "they", "we", "i", "them", "us"})
RELATIVES = frozenset({"who", "that", "which"})
FRAME_DEPS = frozenset({"prep", "pobj", "npadvmod", "advmod", "compound", "det", "amod", "nummod", "poss", "case"})
SUBJECTS = frozenset({"nsubj", "csubj"})
CLAUSE_LINKS = frozenset({"conj", "advcl", "xcomp", "pcomp", "ccomp", "prep", "dep"})
NOUN_LINKS = frozenset({"acl", "relcl"})
NAMED = frozenset({"PERSON", "ORG", "GPE", "NORP"})
PARAGRAPH = re.compile(r"[^\n]+")


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
    for i in range(pstart, pend):
        ch = text[i]
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
                for t in span:
                    self.quoted[t.i] = True
        self.unquoted = [m for m in self.mentions if not self._in_quote(m.start_char)]
        self.unquoted_starts = [m.start_char for m in self.unquoted]
        self.speakers: list[tuple[int, int, Speaker]] = []  # (sentence start, token index, resolved speaker)
        self.cue_candidates = self._cue_candidates()
        self.cue_set = set(self.cue_candidates)

    def _cue_candidates(self) -> list[int]:
        """Indices of the tokens whose word could make them a cue; is_cue looks only at these."""
        words = self.doc.to_array([LEMMA if self.lemmas else LOWER, LOWER])
        strings = self.doc.vocab.strings
        hits = [h for h in np.unique(words[:, 0]) if self.word(strings[int(h)]) in CUE_VERBS]
        return np.flatnonzero(np.isin(words[:, 0], hits) | (words[:, 1] == get_string_id("according"))).tolist()

    def mention_at(self, start: int, end: int) -> MentionRow | None:
        k = bisect.bisect_right(self.mention_starts, start) - 1
        if k >= 0 and self.mentions[k].end_char >= end:
            return self.mentions[k]
        return None

    def mentions_before(self, offset: int) -> Iterator[MentionRow]:
        """Mentions outside quotations that start before OFFSET, nearest first."""
        k = bisect.bisect_left(self.unquoted_starts, offset)
        return (self.unquoted[j] for j in range(k - 1, -1, -1))

    def _in_quote(self, offset: int) -> bool:
        span = self.doc.char_span(offset, offset + 1, alignment_mode="expand")
        return span is not None and len(span) > 0 and self.quoted[span[0].i]

    def lemma(self, tok: Token) -> str:
        return self.word(tok.lemma_ if self.lemmas else tok.lower_)

    def word(self, lemma_or_form: str) -> str:
        """A token's lemma in lower case, or without a lemmatizer the lemma its form inflects."""
        return lemma_or_form.lower() if self.lemmas else CUE_FORMS.get(lemma_or_form, "")


def line_start(tok: Token) -> int:
    """Index of the first token on TOK's line."""
    j = tok.i
    while j > 0 and "\n" not in tok.doc[j - 1].text_with_ws:
        j -= 1
    return j


def last_char(text: str, end: int) -> str:
    """The last non-space character of TEXT before END, or ''."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[end - 1] if end > 0 else ""


def noun_phrase(tok: Token) -> tuple[int, int]:
    """Character span of TOK's phrase, cut before a comma-separated appositive or clause."""
    end_tok = tok.right_edge
    for child in tok.rights:
        if child.dep_ == "punct" and child.text in ",;(—–-":
            end_tok = tok.doc[child.i - 1]
            break
    start_tok = tok.doc[max(tok.left_edge.i, line_start(tok))]
    if line_start(end_tok) > tok.i:
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
    word, sent_start = tok.lower_, tok.sent.start
    same_sentence = [s for start, i, s in ctx.speakers if start == sent_start and i < tok.i]
    if same_sentence:
        return same_sentence[-1]
    if word in PERSON_PRONOUNS:
        person = antecedent_person(tok, ctx)
        named = [s for start, i, s in ctx.speakers if i < tok.i and ctx.doc[i].pos_ == "PROPN"]
        if named and (person is None or person.end_char < named[-1].start):
            return named[-1]  # a named speaker after the last PERSON mention: the entity stage may have missed it
        return Speaker(person.start_char, person.end_char, person.entity_id) if person else None
    recent = [s for start, i, s in ctx.speakers if i < tok.i and tok.i - i < 80]
    if recent:
        return recent[-1]
    named = next((m for m in ctx.mentions_before(tok.idx) if m.label in NAMED - {"PERSON"}), None)
    return Speaker(named.start_char, named.end_char, named.entity_id) if named else None


def antecedent_person(tok: Token, ctx: Context) -> MentionRow | None:
    """The nearest earlier PERSON, preferring within a sentence one that is a clause's subject."""
    people = list(islice((m for m in ctx.mentions_before(tok.idx) if m.label == "PERSON"), 12))
    if not people:
        return None
    sent = ctx.doc.char_span(people[0].start_char, people[0].end_char, alignment_mode="expand")
    if not ctx.parsed or sent is None:
        return people[0]
    sent = sent.sent
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
    return resolve_named(subject, ctx).at(*noun_phrase(subject))


def resolve_named(subject: Token, ctx: Context) -> Speaker:
    mention = ctx.mention_at(subject.idx, subject.idx + len(subject))
    if mention is None or mention.label != "PERSON":
        # "Bank president Okey Oramah", "ISNA, the prosecutor general, Ali Alghasi Mehr,": the person speaks
        mention = appositive_person(subject, ctx) or mention
    if mention is not None:
        return Speaker(mention.start_char, mention.end_char, mention.entity_id)
    start, end = noun_phrase(subject)
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


def own_subject(cue: Token) -> Token | None:
    """CUE's own subject: nsubj, passive agent, an inverted subject ("..., said KCNA"), or the phrase before it."""
    subjects = [c for c in cue.children if c.dep_ in SUBJECTS]
    if subjects:
        subject = subjects[-1]  # the nearest: a parse run across lines can give a verb two
        return subject
    agent = next((c for c in cue.children if c.dep_ == "agent"), None)
    if agent is not None:
        return next((c for c in agent.children if c.dep_ == "pobj"), None)
    after_comma = cue.i > 0 and cue.doc[cue.i - 1].is_punct and cue.lemma_ not in ADDRESSEE_VERBS
    inverted = [c for c in cue.rights if after_comma and c.dep_ in ("dobj", "attr", "npadvmod", "dative")
                and c.pos_ in ("PROPN", "NOUN") and c.i - cue.i <= 4]
    if inverted:
        return inverted[0]
    # a name the parser left as a modifier: "Axios, citing officials, wrote that ..."
    named = [c for c in cue.lefts if c.dep_ in ("advmod", "npadvmod", "dep", "nmod") and c.ent_type_ in NAMED]
    if named:
        return named[-1]
    return phrase_before(cue) or name_before(cue)


def name_before(cue: Token) -> Token | None:
    """A name just before CUE, maybe set off by a comma: "..., Jamel Msallem, said"."""
    j = cue.i - 1
    while j >= 0 and cue.doc[j].is_punct and cue.i - j <= 2:
        j -= 1
    tok = cue.doc[j] if j >= 0 else None
    return tok if tok is not None and tok.ent_type_ in NAMED and line_start(cue) <= tok.i else None


def phrase_before(cue: Token) -> Token | None:
    """The noun phrase ending just before CUE on its line, when the parser tied the two apart."""
    if cue.i == 0 or cue.dep_ not in ("conj", "dep", "ROOT"):
        return None
    first = line_start(cue)
    top = cue.doc[cue.i - 1]
    while (top.head.i < cue.i and top.head.i != top.i and top.head.right_edge.i == cue.i - 1
           and top.head.i >= first):
        top = top.head
    if top.pos_ == "VERB":  # "Officials in Kyiv briefed on the plan said": a participle read as the verb
        top = next((c for c in top.children if c.dep_ in SUBJECTS), top)
    ok = (top.pos_ in ("NOUN", "PROPN", "NUM", "PRON") and top.i >= first
          and top.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "QUANTITY"))
    return top if ok and top.dep_ not in ("pobj", "poss", "compound") else None


def subject_of(cue: Token, depth: int = 0) -> Token | None:
    """The token naming who speaks through CUE: its own subject, the noun it modifies, or its governor's subject."""
    if cue.lower_ == "according":
        to = cue.doc[cue.i + 1] if cue.i + 1 < len(cue.doc) else None
        return next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
    subject = own_subject(cue)
    if subject is not None:
        return subject
    if cue.dep_ in NOUN_LINKS and cue.head.pos_ in ("NOUN", "PROPN", "PRON"):
        return cue.head
    if cue.dep_ in ("conj", "advcl") and cue.head.lemma_ not in CUE_VERBS:
        # "X said Y accepted the plan and called it ...", "X said Y must face charges, adding ...": a cue tied
        # to a verb inside a reported clause most likely belongs with the reporting verb (parsers attach low)
        outer = next((a for a in cue.ancestors if a.lemma_ in SPEECH_VERBS and a.pos_ == "VERB"), None)
        if outer is not None:
            return subject_of(outer, depth + 1)
    if cue.dep_ in CLAUSE_LINKS and cue.head.i != cue.i and depth < 3:
        return subject_of(cue.head, depth + 1)
    return None


# --- cues -------------------------------------------------------------------------------------------------------


def _unsaid(child: Token) -> bool:
    return child.dep_ == "neg" or (child.dep_ == "aux" and child.lower_ == "to")


def is_cue(tok: Token, ctx: Context, verbs: frozenset[str]) -> bool:
    if tok.i not in ctx.cue_set or ctx.quoted[tok.i]:
        return False
    if tok.lower_ == "according":
        return tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "to"
    if ctx.lemma(tok) not in verbs:
        return False
    # "did not say", "refused to say", "the inability to predict": nothing was said
    return not ctx.parsed or (tok.pos_ in ("VERB", "AUX", "") and not any(_unsaid(c) for c in tok.children))


def cue_end(cue: Token) -> int:
    last = cue.doc[cue.i + 1] if cue.lower_ == "according" else cue
    return last.idx + len(last)


def window(doc: Doc, q: Marked, text: str) -> list[Span]:
    """Sentences that may hold the attribution of Q: its own, the next after '...,"', the one before a colon."""
    first = doc.char_span(q.start, q.end, alignment_mode="expand")
    if first is None or len(first) == 0:
        return []
    sents = [first[0].sent]
    if first[-1].sent.start != sents[0].start:
        sents.append(first[-1].sent)
    last = sents[-1]
    after = text[q.end + 1:q.end + 40].lstrip(" \"”’'")
    runs_on = text[q.end - 1] in ",—-!?" or after[:1].islower()  # '"...," he said' / '"...?" asked the mayor'
    if last.end < len(doc) and doc[last.end - 1].idx <= q.end and runs_on:
        sents.append(doc[last.end].sent)
    if last_char(text, q.open_at) == ":" and sents[0].start > 0:
        sents.insert(0, doc[sents[0].start - 1].sent)
    return sents


def paragraph_of(q: Marked, text: str) -> tuple[int, int]:
    """Character bounds of Q's paragraph, widened to the previous one when that ends with a colon."""
    lo = text.rfind("\n", 0, q.open_at) + 1
    hi = text.find("\n", q.end)
    if last_char(text, lo) == ":":
        lo = text.rfind("\n", 0, text.rfind(":", 0, lo)) + 1
    return lo, (hi if hi >= 0 else len(text))


def attribute_marked(q: Marked, ctx: Context) -> Attribution | None:
    """The cue and subject of a marked quotation: the nearest reporting verb (or 'according to') with a subject."""
    doc = ctx.doc
    content = doc.char_span(q.start, q.end, alignment_mode="expand")
    if content is None or len(content) == 0:
        return None
    inside = set(range(content.start, content.end))
    lo, hi = paragraph_of(q, ctx.text)
    cues = [t for sent in window(doc, q, ctx.text) for t in sent if lo <= t.idx < hi and is_cue(t, ctx, CUE_VERBS)]
    ancestors = {a.i for t in content for a in t.ancestors} if ctx.parsed else set()
    cues.sort(key=lambda t: (t.i not in ancestors, min(abs(t.i - content.start), abs(t.i - content.end))))
    for cue in cues:
        if ctx.parsed:
            subject = subject_of(cue)
            if subject is not None and lo <= subject.idx < hi and not inside & {t.i for t in subject.subtree}:
                return Attribution(cue.idx, cue_end(cue), subject)
        else:
            speaker = nearest_named(cue, ctx)
            if speaker is not None:
                return Attribution(cue.idx, cue_end(cue), speaker)
    return None


def nearest_named(cue: Token, ctx: Context) -> Speaker | None:
    """Without a parse: a pronoun next to the cue, else the named entity nearest to it in its sentence."""
    doc, sent = ctx.doc, cue.sent
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
    if "\n" in gap.strip() or len(gap) > 150:
        return False
    return a.end < attr.cue_at < b.open_at or not any(ch.isalnum() for ch in gap)


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Token range START:END without leading 'that' or punctuation and trailing punctuation."""
    while start < end and (doc[start].is_punct or doc[start].dep_ in ("mark", "cc") or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].dep_ == "cc"):
        end -= 1
    return start, end


def _clause_end(clause: Token, cue: Token, ctx: Context) -> int:
    """Token end of CLAUSE, cut before a nested reporting clause (", which he said would ...")."""
    end = clause.right_edge.i + 1
    for tok in clause.subtree:
        if (tok.i != cue.i and tok.i > clause.i and is_cue(tok, ctx, SPEECH_VERBS)
                and any(c.dep_ == "ccomp" for c in tok.children) and own_subject(tok) is not None):
            end = min(end, tok.left_edge.i)
    return end


def _new_clause(doc: Doc, start: int, end: int) -> bool:
    """Whether tokens START:END open a clause of their own (", some of whom were ..."), not the rest of a predicate."""
    return any(t.tag_ in ("WDT", "WP", "WP$") for t in doc[start:min(end, start + 4)])


def reported_clauses(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """Token ranges of what CUE reports: its clausal complement, or for 'according to' the clause it qualifies."""
    doc = ctx.doc
    if cue.lower_ == "according":
        head = cue.head
        while head.dep_ == "conj" and head.head.pos_ in ("VERB", "AUX"):
            head = head.head
        nested = head.lemma_ in SPEECH_VERBS and any(c.dep_ == "ccomp" for c in head.children)
        if head.pos_ not in ("VERB", "AUX") or nested:
            return []  # "According to the Herald, X said ...": the inner cue reports it
        left, right = _trim(doc, head.left_edge.i, head.right_edge.i + 1)
        lo, hi = cue.left_edge.i, cue.right_edge.i + 1
        ends_clause = hi >= right - 1 or _new_clause(doc, hi, right)
        clause = (hi, right) if lo <= left + 1 else (left, lo) if ends_clause else None
        if clause and clause[1] == lo:
            before = doc[_trim(doc, left, lo)[1] - 1] if _trim(doc, left, lo)[1] > left else None
            if before is None or before.pos_ == "AUX" or doc[lo - 1].dep_ == "cc" or doc[lo - 2].dep_ == "cc":
                return []  # "One child was, according to X, among the dead": X sources only part of the clause
        return [clause] if clause and not any(ctx.quoted[i] for i in range(*clause)) else []
    out = clausal_complements(cue, ctx)
    if not out and ctx.lemma(cue) in OBJECT_VERBS:
        out = nominal_complement(cue, ctx)
    if not out and cue.dep_ == "parataxis" and ctx.lemma(cue) in SPEECH_VERBS:
        out = parenthetical_host(cue, ctx)
    return out


def _quotes_free(ctx: Context, start: int, end: int) -> bool:
    """No quotation inside tokens START:END nor right after them: then the quotation is the row."""
    doc = ctx.doc
    nxt = doc[end] if end < len(doc) else None
    if nxt is not None and nxt.is_space and end + 1 < len(doc):
        nxt = doc[end + 1]
    return not any(ctx.quoted[i] or doc[i].is_quote for i in range(start, end)) and not (
        nxt is not None and (ctx.quoted[nxt.i] or nxt.is_quote))


def nominal_complement(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """What a verb like 'endorsed', 'criticized', 'vowed', 'talked about' takes: its object, infinitive or topic."""
    addressee = ctx.lemma(cue) in ADDRESSEE_VERBS
    parts = [c for c in cue.rights if _content_child(c, addressee)]
    if not parts:
        return []
    start, end = parts[0].left_edge.i, parts[-1].right_edge.i + 1
    return [(start, end)] if _quotes_free(ctx, start, end) else []


def _content_child(child: Token, addressee: bool) -> bool:
    if child.dep_ in ("dobj", "dative"):
        return not addressee and child.ent_type_ not in TIME_ENTS
    if child.dep_ in ("xcomp", "oprd"):
        return True
    if child.dep_ == "prep" and child.lower_ in TOPIC_PREPS:
        obj = next((c for c in child.children if c.dep_ in ("pobj", "pcomp")), None)
        return obj is not None and obj.ent_type_ not in TIME_ENTS
    return False


def parenthetical_host(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """'..., she said, but ...': the clause around the cue, which must have a subject of its own."""
    host = cue.head
    if host.pos_ not in ("VERB", "AUX") or not any(c.dep_ in SUBJECTS | {"nsubjpass", "expl"} for c in host.children):
        return []
    start, end = host.left_edge.i, host.right_edge.i + 1
    if cue.right_edge.i >= end - 2:
        end = cue.left_edge.i
    return [(start, end)] if _quotes_free(ctx, start, end) else []


def clausal_complements(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """Token ranges of the clausal complements of CUE ('said (that) ...')."""
    doc = ctx.doc
    out = []
    for comp in cue.children:
        if comp.dep_ != "ccomp" or (is_cue(comp, ctx, SPEECH_VERBS) and any(c.dep_ == "ccomp" for c in comp.children)):
            continue  # "X reported a source said ...": the inner cue reports it
        start, end = comp.left_edge.i, _clause_end(comp, cue, ctx)
        first_quoted = next((i for i in range(start, end) if ctx.quoted[i]), None)
        if first_quoted is not None:
            # "it would amount to ... and called it a "play"": the part before the coordinated quoting clause
            conj = next((a for a in doc[first_quoted].ancestors if a.dep_ == "conj" and a.i > comp.i
                         and comp in a.ancestors), None)
            if conj is not None:
                end = min(end, conj.left_edge.i)
            else:  # "said it is possible "..." and the ban followed ...": the coordinated clauses free of marks
                out += [(c.left_edge.i, c.right_edge.i + 1) for c in comp.rights if c.dep_ == "conj"
                        and c.pos_ in ("VERB", "AUX") and any(g.dep_ in SUBJECTS for g in c.children)
                        and not any(ctx.quoted[t.i] or t.is_quote for t in c.subtree)]
        nxt = doc[end] if end < len(doc) else None
        if nxt is not None and nxt.is_space and end + 1 < len(doc):
            nxt = doc[end + 1]
        adjoins_quote = first_quoted is None and nxt is not None and (ctx.quoted[nxt.i] or nxt.is_quote)
        if adjoins_quote or any(ctx.quoted[i] for i in range(start, end)):
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
        if not is_cue(cue, ctx, SPEECH_VERBS | OBJECT_VERBS):
            continue
        subject = subject_of(cue)
        if subject is None and not passive(cue):
            continue
        for start, end in reported_clauses(cue, ctx):
            if start >= end:
                continue  # the cue ends the text: nothing reported
            if is_question(ctx.doc[start]) and ctx.lemma(cue) not in QUESTION_VERBS:
                continue  # "explained how ...", "said whether ...": not a statement; "asked whether ..." is
            start, end = _trim(ctx.doc, start, end)
            anchors = (cue,) if subject is None else (cue, subject)
            if end - start < 2 or any(start <= t.i < end for t in anchors) or not _one_paragraph(ctx, start, end, *anchors):
                continue
            span = ctx.doc[start:end]
            speaker = resolve_speaker(subject, ctx) if subject is not None else None
            rows.append(_row(article_id, ctx.text, span.start_char, span.end_char, "indirect", speaker,
                             (cue.idx, cue_end(cue))))
    return rows


def is_question(tok: Token) -> bool:
    return tok.tag_ in ("WRB", "WP", "WDT") or tok.lower_ in ("whether", "if")


def passive(cue: Token) -> bool:
    """'is said to', 'was asked whether': speech whose speaker the sentence does not name."""
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in cue.children)


def remember_speakers(ctx: Context) -> None:
    """Non-pronoun subjects of every cue, in text order, for resolving later pronouns."""
    for cue in map(ctx.doc.__getitem__, ctx.cue_candidates):
        if is_cue(cue, ctx, CUE_VERBS):
            subject = own_subject(cue) if cue.lower_ != "according" else subject_of(cue)
            if subject is not None and subject.lower_ in RELATIVES and cue.dep_ == "relcl":
                subject = cue.head
            if subject is not None and subject.lower_ not in PERSON_PRONOUNS | OTHER_PRONOUNS | RELATIVES:
                ctx.speakers.append((subject.sent.start, subject.i, resolve_speaker(subject, ctx)))


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
