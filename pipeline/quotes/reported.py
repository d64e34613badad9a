"""Reported speech: what a cue reports, from its clausal complement, object, topic or host clause."""

from __future__ import annotations

import bisect
from itertools import islice

from spacy.tokens import Doc, Token

from pipeline.quotes.context import Context, Speaker
from pipeline.quotes.cues import cue_end, is_cue
from pipeline.quotes.lexicon import (
    EMPTY_OBJECTS,
    INFINITIVE_VERBS,
    OBJECT_VERBS,
    QUESTION_MARKS,
    REPORTING_VERBS,
    SPEECH_VERBS,
    SUBJECTS,
    TIME_ENTS,
    TOPICS,
)
from pipeline.quotes.speakers import own_subject, resolve_speaker, subject_of
from pipeline.rows import QuoteRow


def _row(
    article_id: str, text: str, start: int, end: int, kind: str, speaker: Speaker | None, cue: tuple[int, int] | None
) -> QuoteRow:
    ms, me = speaker.mention_span if speaker else (None, None)
    return QuoteRow(
        article_id,
        start,
        end,
        text[start:end],
        kind,
        text[ms:me] if speaker else None,
        ms,
        me,
        text[speaker.start : speaker.end] if speaker else None,
        speaker.start if speaker else None,
        speaker.end if speaker else None,
        speaker.entity_id if speaker else None,
        text[cue[0] : cue[1]] if cue else None,
        cue[0] if cue else None,
        cue[1] if cue else None,
    )


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Token range START:END without leading 'that' or punctuation and trailing punctuation."""
    while start < end and (
        doc[start].is_punct
        or doc[start].is_space
        or doc[start].dep_ == "cc"
        or (doc[start].dep_ == "mark" and doc[start].lower_ not in QUESTION_MARKS)
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].dep_ == "cc"):
        end -= 1
    return start, end


def _clause_end(clause: Token, cue: Token, ctx: Context) -> int:
    """Token end of CLAUSE, cut before a nested reporting clause (", which he said would ...")."""
    end = clause.right_edge.i + 1
    for tok in map(ctx.doc.__getitem__, ctx.candidates_in(clause.i + 1, end)):
        if (
            tok.i != cue.i
            and is_cue(tok, ctx, SPEECH_VERBS)
            and any(c.dep_ == "ccomp" for c in tok.children)
            and own_subject(tok, ctx) is not None
        ):
            return min(end, tok.left_edge.i)  # the first one: later ones lie inside what it reports
    return end


def _new_clause(doc: Doc, start: int, end: int) -> bool:
    """Whether tokens START:END open a clause of their own (", some of whom were ..."), not the rest of a predicate."""
    return any(t.tag_ in ("WDT", "WP", "WP$") for t in doc[start : min(end, start + 4)])


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
        parsed = _parsed_according_clause(cue, ctx)
        if parsed is None:
            return []
        clause = parsed
    return [clause] if not _reports_inside(ctx, *clause) and not ctx.has_quote(*clause) else []


def _reports_inside(ctx: Context, start: int, end: int, clause: bool = True) -> bool:
    """Whether a cue among tokens START:END reports a clause of its own (or, when not CLAUSE, anything): then it,
    not the outer cue, is the row ('cited the Air Force as stating ...')."""
    return any(
        is_cue(t, ctx, SPEECH_VERBS) and (not clause or any(c.dep_ == "ccomp" for c in t.children))
        for t in map(ctx.doc.__getitem__, ctx.candidates_in(start, end))
    )


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
    nxt = end + 1 if end < len(ctx.doc) and ctx.doc[end].is_space and "\n" not in ctx.doc[end].text else end
    return nxt < len(ctx.doc) and ctx.has_quote(nxt, nxt + 1)


def nominal_complement(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """What a verb like 'endorsed', 'criticized', 'vowed', 'talked about' takes: its object, infinitive or topic."""
    lemma = ctx.lemma(cue)
    first = next((c for c in cue.rights if _content_child(c, lemma)), None)
    if first is None or first == own_subject(cue, ctx):
        return []  # '..., said a protester': the object after the cue is its inverted subject
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
        return lemma in OBJECT_VERBS and child.ent_type_ not in TIME_ENTS and child.lower_ not in EMPTY_OBJECTS
    if child.dep_ == "xcomp":
        return lemma in INFINITIVE_VERBS
    if child.dep_ != "prep" or lemma not in TOPICS.get(child.lower_, ()):
        return False
    obj = next((c for c in child.children if c.dep_ in ("pobj", "pcomp")), None)
    return obj is not None and obj.ent_type_ not in TIME_ENTS


HOST_SUBJECTS = SUBJECTS | {"nsubjpass", "csubjpass", "expl"}


def parenthetical_host(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """'..., she said, but ...': the clause around the cue, which must have a subject of its own."""
    host = cue.head
    if host.pos_ not in ("VERB", "AUX") or not any(c.dep_ in HOST_SUBJECTS for c in host.children):
        return []
    start, end = host.left_edge.i, min(host.right_edge.i + 1, _line_end(ctx, cue.i))
    if cue.right_edge.i >= end - 2:
        end = cue.left_edge.i
    elif cue.left_edge.i <= start:
        start = cue.right_edge.i + 1
    return [(start, end)] if _quotes_free(ctx, start, end) else []


def _clausal(child: Token) -> bool:
    """A ccomp, or a clause the parser took for an xcomp ('said legalizing it could ...', not 'vowed to')."""
    return child.dep_ == "ccomp" or (
        child.dep_ == "xcomp"
        and child.tag_ != "VB"
        and child.i > child.head.i
        and any(t.dep_ == "ccomp" for t in child.children)
    )


def _next_report(clause: Token, cue: Token, ctx: Context) -> int:
    """Where a speech verb in the cue's form, coordinated to CLAUSE without a subject or auxiliary, begins ('said X
    and suggested Y'): the parser attached to the reported clause what the speaker went on to say."""
    for child in clause.rights:
        if (
            child.dep_ == "conj"
            and child.tag_ == cue.tag_
            and ctx.lemma(child) in SPEECH_VERBS
            and not any(c.dep_ in SUBJECTS | {"aux", "auxpass"} for c in child.children)
        ):
            cc = [c for c in clause.rights if c.dep_ == "cc" and c.i < child.i]
            return cc[-1].i if cc else child.left_edge.i
    return clause.right_edge.i + 1


def clausal_complements(cue: Token, ctx: Context) -> list[tuple[int, int]]:
    """Token ranges of the clausal complements of CUE ('said (that) ...')."""
    doc = ctx.doc
    out = []
    for comp in cue.children:
        if not _clausal(comp) or (is_cue(comp, ctx, SPEECH_VERBS) and any(c.dep_ == "ccomp" for c in comp.children)):
            continue  # "X reported a source said ...": the inner cue reports it
        start, end = (
            comp.left_edge.i,
            min(_clause_end(comp, cue, ctx), _line_end(ctx, comp.i), _next_report(comp, cue, ctx)),
        )
        first_quoted = ctx.first_quoted(start, end)
        if first_quoted is not None:
            # "it would amount to ... and called it a "play"": the part before the coordinated quoting clause
            conj = next(
                (
                    a
                    for a in islice(doc[first_quoted].ancestors, 50)
                    if a.dep_ == "conj" and a.i > comp.i and comp in a.ancestors
                ),
                None,
            )
            if conj is not None:
                end = min(end, conj.left_edge.i)
            else:  # "said it is possible "..." and the ban followed ...": the coordinated clauses free of marks
                out += [
                    (c.left_edge.i, c.right_edge.i + 1)
                    for c in comp.rights
                    if c.dep_ == "conj"
                    and c.pos_ in ("VERB", "AUX")
                    and any(g.dep_ in SUBJECTS for g in c.children)
                    and not ctx.has_quote(c.left_edge.i, c.right_edge.i + 1)
                ]
        if (first_quoted is None and _quote_follows(ctx, end)) or ctx.first_quoted(start, end) is not None:
            continue  # reported speech quoting its words: the quotation is the row
        out.append((start, end))
    return out


def _one_paragraph(ctx: Context, start: int, end: int, *tokens: Token) -> bool:
    """Clause and cue share a paragraph, and no semicolon stands between them."""
    lo = min(start, *(t.i for t in tokens))
    hi = max(end - 1, *(t.i for t in tokens))
    between = ctx.text[ctx.doc[lo].idx : ctx.doc[hi].idx]
    inner = ctx.text[ctx.doc[start].idx : ctx.doc[end - 1].idx]
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
            if (
                end - start < (1 if ctx.doc[start].pos_ == "PROPN" else 2)
                or inside
                or not _one_paragraph(ctx, start, end, *anchors)
            ):
                continue
            span = ctx.doc[start:end]
            speaker = resolve_speaker(subject, ctx) if subject is not None else None
            rows.append(
                _row(article_id, ctx.text, span.start_char, span.end_char, "indirect", speaker, (cue.idx, cue_end(cue)))
            )
    return rows


def _purpose_or_imperative(cue: Token, ctx: Context) -> bool:
    """'dispatched to confirm the object', 'don't tell anyone': nobody reports anything."""
    if any(c.dep_ == "aux" and c.lower_ == "to" for c in cue.children):
        return cue.dep_ == "advcl" and cue.head.pos_ == "VERB" and cue.head.tag_ == "VBN"
    return any(c.dep_ == "neg" for c in cue.children) and own_subject(cue, ctx) is None


def passive(cue: Token) -> bool:
    """'is said to', 'was asked whether': speech whose speaker the sentence does not name."""
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in cue.children)
