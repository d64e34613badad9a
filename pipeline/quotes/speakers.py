"""Who speaks: a cue's subject, resolved through pronouns, appositions and relative clauses."""

from __future__ import annotations

import bisect
from itertools import islice

from spacy.tokens import Token

from pipeline.quotes.context import Context, Speaker
from pipeline.quotes.lexicon import (
    ADDRESSEE_VERBS,
    CLAUSE_LINKS,
    CUE_VERBS,
    GROUPS,
    NAMED,
    NOUN_LINKS,
    OTHER_PRONOUNS,
    PERSON_PRONOUNS,
    RELATIVES,
    SPEECH_VERBS,
    SUBJECTS,
    TIME_ENTS,
)
from pipeline.rows import MentionRow


def noun_phrase(tok: Token, ctx: Context) -> tuple[int, int]:
    """Character span of TOK's phrase, cut before a comma-set appositive or a clause ('statements speaking of')."""
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
    phrase = tok.doc[start_tok.i : end_tok.i + 1].text
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
    group = next((m for m in islice(ctx.mentions_before(tok.idx), 40) if m.label in GROUPS), None)
    return Speaker(group.start_char, group.end_char, group.entity_id) if group else None


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
    after_comma = (
        cue.i > 0 and cue.doc[cue.i - 1].is_punct and cue.lemma_ not in ADDRESSEE_VERBS and cue.tag_ != "VBG"
    )  # '..., citing low growth': a participle's object is content
    inverted = [
        c
        for c in cue.rights
        if after_comma
        and c.dep_ in ("dobj", "attr", "npadvmod", "dative")
        and c.pos_ in ("PROPN", "NOUN")
        and c.i - cue.i <= 4
        and c.ent_type_ not in TIME_ENTS
    ]
    if inverted:
        return inverted[0]
    # a name the parser left as a modifier: "Axios, citing officials, wrote that ..."
    named = [c for c in cue.lefts if c.dep_ in ("advmod", "npadvmod", "dep", "nmod") and c.ent_type_ in NAMED]
    if named:
        return named[-1]
    if cue.tag_ == "VBG":  # "a rally blasting the plan": the noun before a participle is rarely its speaker
        return None
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
    while top.head.i < cue.i and top.head.i != top.i and top.head.right_edge.i == cue.i - 1 and top.head.i >= first:
        top = top.head
    if top.pos_ == "VERB":  # "Officials in Kyiv briefed on the plan said": a participle read as the verb
        top = next((c for c in top.children if c.dep_ in SUBJECTS), top)
    ok = (
        top.pos_ in ("NOUN", "PROPN", "NUM", "PRON")
        and top.i >= first
        and top.ent_type_ not in ("DATE", "TIME", "MONEY", "PERCENT", "QUANTITY")
    )
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
        document = cue.tag_ == "VBG" and cue.head.pos_ == "NOUN" and cue.head.dep_ == "dobj" and depth < 3
        # "the campaign issued a statement saying ...": who issued the statement speaks through it
        return subject_of(cue.head.head, ctx, depth + 1) or cue.head if document else cue.head
    if cue.dep_ in ("conj", "advcl") and cue.head.lemma_ not in CUE_VERBS:
        # "X said Y accepted the plan and called it ...", "X said Y must face charges, adding ...": a cue tied
        # to a verb inside a reported clause most likely belongs with the reporting verb (parsers attach low)
        outer = next((a for a in cue.ancestors if a.lemma_ in SPEECH_VERBS and a.pos_ == "VERB"), None)
        if outer is not None:
            return subject_of(outer, ctx, depth + 1)
    if cue.dep_ in CLAUSE_LINKS and cue.head.i != cue.i and depth < 3:
        return subject_of(cue.head, ctx, depth + 1)
    return None
