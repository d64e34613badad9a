"""Cross-article resolution: the per-article names of the whole corpus -> one canonical entity_id per real entity.

Works from a tally of distinct (entity_name, label) pairs, so memory grows with distinct names, not mentions:
- names equal after folding and dropping legal suffixes are one entity whatever their labels ("Apple Inc." ORG,
  "Apple" PERSON), unless the corpus uses the name for a person and for something else in many articles each;
- an acronym joins the one name it abbreviates wherever some article defines it ("World Health Organization
  (WHO)": the article-level step made "WHO" an alias of that name);
- full names with the same first and last word are one person ("Colin A. Norman" / "Colin Norman"), unless the
  corpus writes two different middles ("George W. Bush" / "George H. W. Bush");
- spelling variants of multi-word names join by rapidfuzz on folded keys ("Usama bin Ladin" / "Osama bin Laden"),
  each differing word long enough to be misspelt (never "Bob" / "Rob");
- a bare surname ("Obama", "Suu Kyi") joins, article by article, the full-name person whose articles share its
  article's entities, when that person is clearly ahead of the others carrying the surname; nothing otherwise
  (a second pass over the mentions, kept to the articles and candidates concerned).
Each entity's id hashes its representative name (multi-word, most articles), so ids are the same on every
machine and in every run over the same corpus.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz

from pipeline.entities import (
    GIVEN_NAMES,
    NOT_PERSON_FIRST,
    NOT_PERSON_LAST,
    SURNAME_ENDINGS,
    _fold_chars,
    acronyms_of,
    base_key,
    entity_id,
    fold,
    is_acronym,
    is_short_form,
)

NAME_KEYS = ["entity_name", "label"]
RESOLVE_COLUMNS = ["article_id", "entity_name", "label", "text"]
SEP = "\x1f"
# A one-word name used for a person and for something else stays two entities when each use has this many articles
# and the rarer one at least this share of them ("Jordan" the country and the basketball player).
SPLIT_MIN_ARTICLES, SPLIT_MIN_SHARE = 3, 1 / 3
FUZZY_MIN_RATIO, FUZZY_MIN_RATIO_PERSON, WORD_MIN_RATIO, FUZZY_MIN_LENGTH = 90, 85, 80, 10
VOWELS = set("aeiouwyh")  # and the letters transliterations swap with them ("Rowhani" / "Rouhani")
MIN_ACRONYM = 3  # letters of an acronym applied beyond its article: "CA" is too many things
WINDOW = 8  # names compared with each name for spelling variants, in each sorted order
MIN_CONTEXT_SCORE, CONTEXT_MARGIN = 1.0, 2.0
MIN_PERSON_ARTICLES = 2  # articles that make a full name tagged PERSON surely a person's
# A surname joins its only full-name person without shared context when that person is named in this many articles:
# the bare "Cook", "Wolf" or "Law" of an article is as often another person or a word the model tagged PERSON.
MIN_UNIQUE_ARTICLES = 3


@dataclass
class Node:
    """The names of one base key (and kind, when the corpus splits person from thing) and what they carry."""

    key: str
    person_split: bool = False
    names: Counter = field(default_factory=Counter)  # entity_name -> mentions
    labels: Counter = field(default_factory=Counter)  # label -> mentions
    acronyms: frozenset = frozenset()  # the acronyms written for its names
    articles: int = 0

    @cached_property
    def words(self) -> list[str]:
        return self.key.split()

    @cached_property
    def is_norp(self) -> bool:
        return self.labels["NORP"] * 2 > sum(self.labels.values())

    @cached_property
    def is_person(self) -> bool:  # read only once every name is tallied
        return self.labels["PERSON"] * 2 > sum(self.labels.values())


@dataclass
class Resolution:
    """Canonical id per (entity_name, label), and per (article_id, entity_name, label) where context decided."""

    ids: dict[tuple[str, str], str]
    by_article: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def entity_ids(self, mentions: pa.Table) -> pa.Array:
        """The canonical entity_id of every row of MENTIONS (columns article_id, entity_name, label)."""
        # Looked up once per distinct name of the part: the work follows the part, not the corpus.
        keys = pc.binary_join_element_wise(mentions["entity_name"], mentions["label"], SEP)
        distinct = pc.unique(keys)
        found = pa.array([self.ids.get(tuple(k.split(SEP))) for k in distinct.to_pylist()], pa.string())
        ids = pc.take(found, pc.index_in(keys, value_set=distinct))
        ids = pc.coalesce(ids, mentions["entity_id"]) if "entity_id" in mentions.column_names else ids
        if not self.by_article:
            return ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
        values = ids.to_pylist()
        rows = zip(
            mentions["article_id"].to_pylist(), mentions["entity_name"].to_pylist(), mentions["label"].to_pylist()
        )
        return pa.array([self.by_article.get(row, value) for row, value in zip(rows, values)], pa.string())


def resolve(parts: Callable[[], Iterable[pa.Table]]) -> Resolution:
    """The resolution of every mention in PARTS (called again for a second pass when context must decide)."""
    nodes, members = build_nodes(name_tally(parts()))
    groups = UnionFind()
    join_same_first_and_last(nodes, groups)
    join_acronyms(nodes, groups)
    join_spelling_variants(nodes, groups)
    surnames = surname_candidates(nodes, groups)
    ids = {name: node_id for node, node_id in canonical_ids(nodes, groups).items() for name in members[node]}
    resolution = Resolution(ids)
    if surnames:
        unique = unique_surnames(surnames, nodes, groups)
        resolution.by_article = decide_by_context(parts(), surnames, unique, nodes, members, ids)
    return resolution


def name_tally(parts: Iterable[pa.Table]) -> dict[tuple[str, str], tuple[int, int, frozenset]]:
    """(entity_name, label) -> (mentions, articles, the acronyms written for it); one part in memory at a time."""
    out: dict[tuple[str, str], list] = {}
    for part in parts:
        counts = part.group_by(NAME_KEYS).aggregate([([], "count_all"), ("article_id", "count_distinct")])
        for name, label, n, articles in zip(
            *(counts[c].to_pylist() for c in [*NAME_KEYS, "count_all", "article_id_count_distinct"])
        ):
            entry = out.setdefault((name, label), [0, 0, frozenset()])
            entry[0] += n
            entry[1] += articles
        texts = part.group_by([*NAME_KEYS, "text"]).aggregate([])
        for name, label, text in zip(*(texts[c].to_pylist() for c in [*NAME_KEYS, "text"])):
            if is_acronym(text):  # only acronyms are read later: other texts would cost memory per name
                out[(name, label)][2] |= {text}
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def build_nodes(tally: dict) -> tuple[dict[tuple[str, str], Node], dict[tuple[str, str], list]]:
    """Nodes by (base key, kind) and the (entity_name, label) pairs of each; kind is "PERSON" only where split."""
    by_key: dict[str, list] = defaultdict(list)
    for (name, label), stats in tally.items():
        by_key[base_key(name)].append((name, label, *stats))
    nodes: dict[tuple[str, str], Node] = {}
    members: dict[tuple[str, str], list] = defaultdict(list)
    for key, rows in by_key.items():
        split = " " not in key and splits_person(rows)  # "Rustem Umerov" ORG is a tagging error, not a company
        for name, label, n, articles, texts in rows:
            kind = "PERSON" if split and label == "PERSON" else ""
            node = nodes.setdefault((key, kind), Node(key, person_split=split))
            node.names[name] += n
            node.labels[label] += n
            node.acronyms |= texts
            node.articles += articles
            members[(key, kind)].append((name, label))
    return nodes, members


def splits_person(rows: list) -> bool:
    person = sum(articles for _, label, _, articles, _ in rows if label == "PERSON")
    other = sum(articles for _, label, _, articles, _ in rows if label != "PERSON")
    return min(person, other) >= SPLIT_MIN_ARTICLES and min(person, other) >= SPLIT_MIN_SHARE * (person + other)


class UnionFind(dict):
    def find(self, x):
        root = self.setdefault(x, x)
        while root != self[root]:
            self[root] = self[self[root]]
            root = self[root]
        return root

    def union(self, a, b) -> None:
        """B's group joins A's; A's root stays the root (which groups form never depends on the order)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self[rb] = ra


def full_person_nodes(nodes: dict) -> list[tuple[str, str]]:
    return [k for k, n in nodes.items() if n.is_person and len(n.words) > 1 and is_person_shaped(n)]


def is_person_shaped(node: Node) -> bool:
    words = [name.split() for name in node.names]
    return any(w[0] not in NOT_PERSON_FIRST and w[-1] not in NOT_PERSON_LAST for w in words if w)


def join_same_first_and_last(nodes: dict, groups: UnionFind) -> None:
    """ "Colin A. Norman" / "Colin Norman"; but "George W. Bush" and "George H. W. Bush" are two people, so a first
    and last name written with two different middles joins nothing."""
    by_ends: dict[tuple[str, str], list] = defaultdict(list)
    for k in sorted(full_person_nodes(nodes)):
        by_ends[(nodes[k].words[0], nodes[k].words[-1])].append(k)
    for same in by_ends.values():
        if len({tuple(nodes[k].words[1:-1]) for k in same} - {()}) <= 1:
            for k in same[1:]:
                groups.union(same[0], k)


def join_acronyms(nodes: dict, groups: UnionFind) -> None:
    """ "WHO" joins "World Health Organization" when some article wrote the one for the other."""
    defined: dict[str, set] = defaultdict(set)
    for k, node in nodes.items():
        for alias in node.acronyms:
            if is_acronym(alias) and fold(alias) in acronyms_of(node.key):
                defined[fold(alias)].add(k)
    for k, node in nodes.items():
        if len(node.words) == 1 and len(node.key) >= MIN_ACRONYM and any(is_acronym(name) for name in node.names):
            targets = {groups.find(t) for t in defined.get(node.key, ())}
            if len(targets) == 1:
                groups.union(k, targets.pop())


def join_spelling_variants(nodes: dict, groups: UnionFind) -> None:
    """Multi-word names of one kind close in spelling. Sorted neighbourhoods keep it O(n log n): each name is
    compared with the next WINDOW names in the order of its words and in the reverse order ("osama bin laden" and
    "usama bin ladin" are neighbours by their last words)."""
    names = [k for k, node in nodes.items() if len(node.words) > 1 and len(node.key) >= FUZZY_MIN_LENGTH]
    for order in (lambda k: k, lambda k: (" ".join(reversed(nodes[k].words)), k[1])):
        ranked = sorted(names, key=order)
        for i, a in enumerate(ranked):
            for b in ranked[i + 1 : i + 1 + WINDOW]:
                if are_spelling_variants(nodes[a], nodes[b]):
                    groups.union(a, b)


def are_spelling_variants(a: Node, b: Node) -> bool:
    """Close keys of the same kind (never a people's name and its place: "North Korean" / "North Korea"), word by
    word: each differing word long enough to be misspelt and starting alike ("Western" is not "Eastern"), and in a
    person's name spelt with the same consonants ("Usama bin Ladin" / "Osama bin Laden"; "Conroy" is not
    "Conolly", "Bob" not "Rob")."""
    if (
        len(a.words) != len(b.words)
        or a.is_person != b.is_person
        or a.is_norp != b.is_norp
        or fuzz.ratio(a.key, b.key) < (FUZZY_MIN_RATIO_PERSON if a.is_person else FUZZY_MIN_RATIO)
    ):
        return False
    return all(
        word_a == word_b or is_misspelling(word_a, word_b, a.is_person) for word_a, word_b in zip(a.words, b.words)
    )


def is_misspelling(a: str, b: str, person: bool) -> bool:
    if min(len(a), len(b)) < 4 or fuzz.ratio(a, b) < WORD_MIN_RATIO:
        return False
    if person:
        return consonants(a) == consonants(b)
    return a[0] == b[0] or a[0] in "aeiou" and b[0] in "aeiou"


def consonants(word: str) -> str:
    return "".join(c for c in word if c not in VOWELS)


def is_surely_a_person(node: Node) -> bool:
    """A full name a surname may join: a known given name or an initial first, a surname ending, or a PERSON in
    several articles ("Steve Witkoff", "G. Marsden", "Rustem Umerov"; not "Dwarf Galaxy" tagged PERSON once)."""
    first, last = node.words[0], node.words[-1]
    return (
        first in GIVEN_NAMES
        or len(first) == 1
        or last.endswith(SURNAME_ENDINGS)
        or node.articles >= MIN_PERSON_ARTICLES
    )


def surname_candidates(nodes: dict, groups: UnionFind) -> dict[tuple, list]:
    """Bare surnames ("Obama", "Suu Kyi") -> the full-name people (groups) ending with them as written: "DeWinne" is
    not "DeWine", though both fold to one key. A given name the corpus gives people ("David Scott") is no one's
    surname ("Leonard David"); one it never does may be ("Clinton")."""
    by_last: dict[str, set] = defaultdict(set)
    for k in full_person_nodes(nodes):
        by_last[nodes[k].words[-1]].add(k)
    given = {nodes[k].words[0] for names in by_last.values() for k in names} & GIVEN_NAMES
    out = {}
    for k, node in sorted(nodes.items()):
        if not 0 < len(node.words) <= 2 or not node.is_person or node.words[0] in given:
            continue
        candidates = sorted(
            {
                groups.find(c)
                for c in by_last.get(node.words[-1], ())
                if is_short_form(node.key, nodes[c].key) and written_last(node) & written_last(nodes[c])
            }
        )
        if candidates:
            out[k] = candidates
    return out


def unique_surnames(surnames: dict, nodes: dict, groups: UnionFind) -> set[tuple]:
    """Bare surnames that need no shared context: always tagged PERSON, never the name of anything else, and written
    exactly as the last words of the corpus's only full-name person carrying them, a person it names often
    ("Yeltsin" of "Boris Yeltsin")."""
    people_by_last: dict[str, set] = defaultdict(set)
    for k in full_person_nodes(nodes):
        people_by_last[nodes[k].words[-1]].add(k)
    out = set()
    for k, candidates in surnames.items():
        node, people = nodes[k], people_by_last[nodes[k].words[-1]]
        if (
            len(candidates) == 1
            and not node.person_split
            and set(node.labels) == {"PERSON"}
            and {groups.find(c) for c in people} == set(candidates)
            and sum(nodes[c].articles for c in people) >= MIN_UNIQUE_ARTICLES
            and any(
                written_last_words(node, len(node.words)) & written_last_words(nodes[c], len(node.words))
                for c in people
                if len(nodes[c].words) > len(node.words)
            )
        ):
            out.add(k)
    return out


def written_last_words(node: Node, n: int) -> set[str]:
    return {" ".join(_fold_chars(name).split()[-n:]) for name in node.names}


def written_last(node: Node) -> set[str]:
    return {_fold_chars(name).rsplit(" ", 1)[-1] for name in node.names}


def canonical_ids(nodes: dict, groups: UnionFind) -> dict[tuple, str]:
    """Per node, the id of its entity: the hash of the representative name of the whole group."""
    by_root: dict[tuple, list] = defaultdict(list)
    for k in nodes:
        by_root[groups.find(k)].append(k)
    out: dict[tuple, str] = {}
    for members in by_root.values():
        best = max(members, key=lambda k: (len(nodes[k].words) > 1, nodes[k].articles, sum(nodes[k].names.values()), k))
        node = nodes[best]
        name = max(node.names, key=lambda n: (node.names[n], n))
        node_id = entity_id(name, "PERSON" if best[1] else None)
        out.update((k, node_id) for k in members)
    return out


def decide_by_context(
    parts: Iterable[pa.Table], surnames: dict, unique: set, nodes: dict, members: dict, ids: dict
) -> dict[tuple[str, str, str], str]:
    """Per article, a bare surname goes to the candidate whose articles share its article's entities (rare ones
    weigh most), when it is surely a person and clearly ahead of any other: in edited news a surname alone
    without its full name is as often a place, a telescope or another person ("Jackson", "Spitzer", "Wolf")."""
    sure = {ids[members[k][0]] for k in full_person_nodes(nodes) if is_surely_a_person(nodes[k])}
    short_of = {name: k for k in surnames for name in members[k]}
    candidate_ids = {ids[members[c][0]] for cs in surnames.values() for c in cs}
    context: dict[str, Counter] = defaultdict(Counter)  # candidate id -> entity ids of its articles
    needs: list[tuple[str, tuple, set]] = []
    articles_of: Counter[str] = Counter()
    for part in parts:
        rows = part.select(["article_id", *NAME_KEYS]).to_pylist()
        by_article: dict[str, set] = defaultdict(set)
        for row in rows:
            by_article[row["article_id"]].add((row["entity_name"], row["label"]))
        for article, names in by_article.items():
            present = {ids[n] for n in names if n in ids}
            articles_of.update(present)
            for cid in present & candidate_ids:
                context[cid].update(present - {cid})
            # "Spitzer" beside "Spitzer Space Telescope" is short for that name, not for the astronomer's
            starts = {fold(n).split(" ", 1)[0] for n, _ in names if " " in fold(n)}
            needs.extend((article, name, present) for name in names if name in short_of and fold(name[0]) not in starts)
    out = {}
    for article, name, present in needs:
        candidates = [ids[members[c][0]] for c in surnames[short_of[name]]]
        if present & set(candidates):
            continue  # the article names a candidate and still kept the surname apart: it is someone else
        scores = sorted(
            ((sum(1 / math.log2(1 + articles_of[e]) for e in present if context[c][e]), c) for c in candidates),
            reverse=True,
        )
        best, second = scores[0], scores[1][0] if len(scores) > 1 else 0.0
        if best[1] in sure and (
            short_of[name] in unique or best[0] >= MIN_CONTEXT_SCORE and best[0] >= CONTEXT_MARGIN * second
        ):
            out[(article, *name)] = best[1]
    return out


def canonical_mentions(mentions: pa.Table, resolution: Resolution) -> pa.Table | None:
    """MENTIONS of one part with canonical entity ids; None when they already have them."""
    new_ids = resolution.entity_ids(mentions)
    if pc.all(pc.equal(new_ids, mentions["entity_id"])).as_py() is not False:
        return None
    index = mentions.column_names.index("entity_id")
    return mentions.set_column(index, mentions.schema.field(index), new_ids)


def canonical_quotes(quotes: pa.Table, old_mentions: pa.Table, new_mentions: pa.Table) -> pa.Table:
    """A quote's speaker takes the new id of the mention at its speaker span, else of a mention that had its id."""
    articles = old_mentions["article_id"].to_pylist()
    starts, ends = old_mentions["start_char"].to_pylist(), old_mentions["end_char"].to_pylist()
    old_ids, new_ids = old_mentions["entity_id"].to_pylist(), new_mentions["entity_id"].to_pylist()
    by_span = {(a, s, e): new for a, s, e, new in zip(articles, starts, ends, new_ids)}
    by_old_id: dict[tuple[str, str], str] = {}
    for a, old, new in zip(articles, old_ids, new_ids):
        by_old_id.setdefault((a, old), new)
    speakers = zip(
        quotes["article_id"].to_pylist(),
        quotes["speaker_start_char"].to_pylist(),
        quotes["speaker_end_char"].to_pylist(),
        quotes["speaker_entity_id"].to_pylist(),
    )
    ids = [None if old is None else by_span.get((a, s, e), by_old_id.get((a, old), old)) for a, s, e, old in speakers]
    index = quotes.column_names.index("speaker_entity_id")
    return quotes.set_column(index, quotes.schema.field(index), pa.array(ids, pa.string()))
