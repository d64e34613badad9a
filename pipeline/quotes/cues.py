"""Cues of marked quotations: the reporting verb (or 'according to') and its subject, and the quote's kind."""

from __future__ import annotations

import bisect
from itertools import islice

from spacy.tokens import Span, Token

from pipeline.quotes.context import Attribution, Context, Speaker, last_char
from pipeline.quotes.lexicon import (
    CUE_VERBS,
    FRAME_DEPS,
    LEAD_INS,
    NAMED,
    OTHER_PRONOUNS,
    PERSON_PRONOUNS,
    REFUSALS,
    SPEECH_VERBS,
)
from pipeline.quotes.marks import Marked
from pipeline.quotes.speakers import own_subject, resolve_pronoun, subject_of


def _negated(cue: Token) -> bool:
    """'did not say', 'refused to say': what follows was not said."""
    if cue.head.lemma_ in REFUSALS and any(c.dep_ == "aux" and c.lower_ == "to" for c in cue.children):
        return True
    return any(c.dep_ == "neg" for c in cue.children)


def _unsaid(cue: Token) -> bool:
    """'did not say', 'refused to say': no words of this cue are quoted (a report of it still is speech)."""
    if any(c.dep_ == "aux" and c.lower_ == "to" for c in cue.children):
        return cue.head.lemma_ not in LEAD_INS  # 'went on to say "..."' says it; 'wants to say', 'refused to say' not
    return any(c.dep_ == "neg" for c in cue.children)


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
    after = text[q.end + 1 : q.end + 40].lstrip(" \"”’'")
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
    if colon >= 0 and not ctx.text[colon + 1 : lo].strip():
        lo = ctx.paragraph(colon)[0]
    return lo, hi


def attribute_marked(q: Marked, ctx: Context) -> Attribution | None:
    """The cue and subject of a marked quotation: the nearest reporting verb (or 'according to') with a subject."""
    doc = ctx.doc
    content = doc.char_span(q.start, q.end, alignment_mode="expand")
    if content is None or len(content) == 0:
        return None
    lo, hi = paragraph_of(q, ctx)
    cues = [
        doc[i]
        for sent in window(ctx, q)
        for i in ctx.candidates_in(sent.start, sent.end)
        if lo <= doc[i].idx < hi and is_cue(doc[i], ctx, CUE_VERBS) and not (ctx.parsed and _unsaid(doc[i]))
    ]
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
    return headline_speaker(q, ctx) or colon_speaker(q, ctx, lo)


def colon_speaker(q: Marked, ctx: Context, lo: int) -> Attribution | None:
    """'The sign reads: "..."', 'Trump boomed: "..."': the subject of the verb whose clause the colon ends."""
    if not ctx.parsed or last_char(ctx.text, q.open_at) != ":":
        return None
    at = ctx.text.rindex(":", 0, q.open_at)
    span = ctx.doc.char_span(at, at + 1, alignment_mode="expand")
    if span is None or not len(span) or span[0].i == 0:
        return None
    before = span[0].doc[span[0].i - 1]
    verb = next((t for t in islice((before, *before.ancestors), 8) if t.pos_ == "VERB"), None)
    if verb is None or verb.i > before.i or verb.idx < lo:
        return None
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c.idx >= lo), None)
    return Attribution(verb.idx, cue_end(verb), subject) if subject is not None else None


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
            return not all(
                t.dep_ in FRAME_DEPS or (t.dep_ in ("dobj", "dative") and t.pos_ in ("PROPN", "PRON"))
                for t in path[: path.index(cue)]
            )
    if cue is not None and word.lower_ == cue.lower_:
        return False
    return ctx.text[q.start].islower() or len(ctx.text[q.start : q.end].split()) < 4


def is_title(q: Marked, text: str) -> bool:
    """ "The Internet Explorer 6 Countdown", "Reproductive Health Care Reform Bill 2019": a name, not speech."""
    words = text[q.start : q.end].split()
    return all(w[:1].isupper() or not w[:1].isalpha() for w in words) and text[q.end - 1] not in ".!?,"


def worth_keeping(q: Marked, text: str) -> bool:
    """An unattributed quotation is kept only when it reads like speech, not a title or a scare-quoted word."""
    return len(text[q.start : q.end].split()) >= 4
