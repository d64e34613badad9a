"""Quotes: marks, kinds, speakers, cues and reported speech on short real news sentences."""

from __future__ import annotations

import pytest

from pipeline.articles import make_article
from pipeline.config import Config
from pipeline.entities import extract_mentions
from pipeline.parse import load_model
from pipeline.quotes import extract_quotes, quotation_spans


@pytest.fixture(scope="session")
def quotes_of(parse_text):
    """TEXT -> its quote rows, through the same parse and entity stage as the pipeline."""

    def run(text: str):
        doc, article = parse_text(text)
        mentions = extract_mentions(doc, article_id=article.article_id, text=article.text)
        return extract_quotes(doc, article_id=article.article_id, text=article.text, mentions=mentions)

    return run


def contents(text: str) -> list[str]:
    return [text[q.start : q.end] for q in quotation_spans(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He said: “We will appeal.”", ["We will appeal."]),
        ('He said: "We will appeal."', ["We will appeal."]),
        ("He said: ‘We will appeal.’", ["We will appeal."]),
        ("Trump says he 'can' and 'may' act.", ["can", "may"]),
        (
            "“I offered to resign and he said, ‘Let’s talk about it tomorrow.’ ”",
            ["I offered to resign and he said, ‘Let’s talk about it tomorrow.’"],
        ),
    ],
)
def test_quotes_marks_curly_straight_single(text, expected):
    assert contents(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The voters’ anger grew as Russia’s army advanced.",
        "Many voters' ballots were lost in the '90s and Russia's reply came late.",
        'The 5" screen and the 1990s’ trends.',
    ],
)
def test_quotes_apostrophes_are_not_marks(text):
    assert contents(text) == []


@pytest.mark.parametrize(
    "text",
    [
        'He said "we will win.',
        '"One" and "two" and "three',
        "“ ” ” “ ‘ ’ ’",
        '"',
        "' ' '",
    ],
)
def test_quotes_unbalanced_marks_never_raise(quotes_of, text):
    rows = quotes_of(text)
    assert all(text[q.start_char : q.end_char] == q.text for q in rows)


@pytest.mark.parametrize("text", ["according to Steve Witkoff", "Officials said", "He told reporters"])
def test_quotes_cue_ending_the_text_reports_nothing(quotes_of, text):
    assert quotes_of(text) == []


def test_quotes_unbalanced_mark_costs_at_most_that_quote():
    text = 'Jones said "the plan works.\nSmith said "it fails." Lee said "maybe."'
    assert contents(text)[-2:] == ["it fails.", "maybe."]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('He said "we will win. Then she said "we lost" and left.', ["we lost"]),
        ("She called it “a farce. He called it “a triumph”.", ["a triumph"]),
    ],
)
def test_quotes_unclosed_mark_loses_only_its_quote(text, expected):
    assert contents(text) == expected


def test_quotes_paragraph_continuation():
    text = '"The first part goes on\n\n"and the second part ends here," she said.'
    spans = quotation_spans(text)
    assert [text[q.start : q.end] for q in spans] == ["The first part goes on", "and the second part ends here,"]
    assert spans[0].continues and not spans[1].continues


@pytest.mark.parametrize(
    "text, speaker, cue",
    [
        ("“We are committed to keeping our border safe,” Nancy Pelosi said on Friday.", "Nancy Pelosi", "said"),
        ('Nancy Pelosi said on Friday, "We are committed to keeping our border safe."', "Nancy Pelosi", "said"),
        (
            '"We consider this case a wake-up call to parents," said Bill Maer, the sheriff\'s spokesman.',
            "Bill Maer",
            "said",
        ),
        ('"Foolhardy provocation deserves harsh punishment," wrote Joshua Wong on Twitter.', "Joshua Wong", "wrote"),
    ],
)
def test_quotes_direct_speaker_and_cue(quotes_of, text, speaker, cue):
    rows = quotes_of(text)
    assert [(q.kind, q.speaker_text, q.cue) for q in rows] == [("direct", speaker, cue)]


def test_quotes_split_around_attribution_share_speaker(quotes_of):
    text = (
        '"Had it happened an hour later it would have been much worse," Khaled Al-Maeena said. '
        '"Had it happened five hours earlier, I think the death toll would have been more than a thousand."'
    )
    rows = quotes_of(text)
    assert len(rows) == 2
    assert rows[0].speaker_text == rows[1].speaker_text == "Khaled Al-Maeena"
    assert rows[0].speaker_entity_id is not None and rows[0].speaker_entity_id == rows[1].speaker_entity_id


def test_quotes_paragraph_continuation_shares_speaker(quotes_of):
    text = (
        '"The government will fully withdraw the bill in order to allay public concerns.\n\n'
        '"Our citizens, police and reporters have been injured during violent incidents," Carrie Lam said.'
    )
    rows = quotes_of(text)
    assert [q.kind for q in rows] == ["direct", "direct"]
    assert rows[0].speaker_text == rows[1].speaker_text == "Carrie Lam"


@pytest.mark.parametrize(
    "text, speaker",
    [
        (
            'The Vice President, Mike Pence, said the country is "in the midst of a crisis on our southern border."',
            "Mike Pence",
        ),
        ('"It is not a plan," Kevin Book, head of research at ClearView Energy Partners, said.', "Kevin Book"),
    ],
)
def test_quotes_appositive_speaker(quotes_of, text, speaker):
    assert [q.speaker_text for q in quotes_of(text)] == [speaker]


def test_quotes_person_in_title_phrase_speaks(quotes_of):
    text = (
        "African Export–Import Bank president Okey Oramah said the use of third-party currencies "
        '"costs Africa between $5 and $7 billion," further saying, "Beyond that, it also reduces trade."'
    )
    assert [(q.kind, q.speaker_text) for q in quotes_of(text)] == [
        ("partial", "Okey Oramah"),
        ("direct", "Okey Oramah"),
    ]


def test_quotes_low_attached_adding_keeps_the_reporting_subject(quotes_of):
    text = (
        "The prosecutor general of Tehran said the suspects must face trial, "
        "adding Iran will pursue the prosecution after the election."
    )
    rows = quotes_of(text)
    assert [(q.cue, q.speaker_text) for q in rows] == [
        ("said", "The prosecutor general of Tehran"),
        ("adding", "The prosecutor general of Tehran"),
    ]


def test_quotes_pronoun_resolves_to_earlier_person(quotes_of):
    text = (
        "Hassan Rouhani spoke at a military parade in Tehran. "
        '"The presence of foreign forces can be dangerous for the region," he said.'
    )
    rows = quotes_of(text)
    assert [(q.speaker_text, q.cue) for q in rows] == [("Hassan Rouhani", "said")]
    assert text[rows[0].speaker_start_char : rows[0].speaker_end_char] == "Hassan Rouhani"


@pytest.mark.parametrize(
    "text, speaker",
    [
        (
            '"It’s not a plan but a mix of proposals," a Russian person familiar with the matter said.',
            "a Russian person familiar with the matter",
        ),
        (
            "A group of officials were involved in the creation of the plan, a source familiar with the talks said.",
            "a source familiar with the talks",
        ),
    ],
)
def test_quotes_unnamed_source_has_no_entity(quotes_of, text, speaker):
    rows = quotes_of(text)
    assert [(q.speaker_text, q.speaker_entity_id) for q in rows] == [(speaker, None)]


@pytest.mark.parametrize(
    "text, content, speaker, cue",
    [
        ("Fars News said the crash involved pilot error.", "the crash involved pilot error", "Fars News", "said"),
        (
            "Russia has stated that it has no information about it.",
            "it has no information about it",
            "Russia",
            "stated",
        ),
        (
            "Tomasz Kubiak told Agence France-Presse the male victim is in intensive care.",
            "the male victim is in intensive care",
            "Tomasz Kubiak",
            "told",
        ),
        (
            "Subsequently, NBC, citing sources, wrote that Trump approved the plan.",
            "Trump approved the plan",
            "NBC",
            "wrote",
        ),
        (
            "A judicial inquiry was ordered, according to police.",
            "A judicial inquiry was ordered",
            "police",
            "according to",
        ),
        (
            "According to the Associated Press, Iran has increased cooperation with the navies of China and India.",
            "Iran has increased cooperation with the navies of China and India",
            "the Associated Press",
            "According to",
        ),
        # parenthetical cue in a clause whose subject is itself a clause
        (
            "Whatever progress the mayor has made, officials said, could easily be undone by a new storm.",
            "Whatever progress the mayor has made, officials said, could easily be undone by a new storm",
            "officials",
            "said",
        ),
    ],
)
def test_quotes_indirect_reported_speech(quotes_of, text, content, speaker, cue):
    rows = quotes_of(text)
    assert [(q.kind, q.text, q.cue) for q in rows] == [("indirect", content, cue)]
    assert speaker.endswith(rows[0].speaker_text)  # the entity stage may leave out a first name or "the"


@pytest.mark.parametrize(
    "text, expected",
    [
        ('Schiff called it "a non-starter".', [("partial", "a non-starter")]),
        (
            'Prosecutor Kama Melly said the victims were "ripe and vulnerable to manipulation".',
            [("partial", "ripe and vulnerable to manipulation")],
        ),
        (
            'Kaczyński said, "We prepared changes to the penal code."',
            [("direct", "We prepared changes to the penal code.")],
        ),
    ],
)
def test_quotes_partial_versus_direct(quotes_of, text, expected):
    assert [(q.kind, q.text) for q in quotes_of(text)] == expected


# Each case where nothing was said, next to the nearest sentence where something was: an extractor that finds
# nothing fails the control, one that finds everything fails the case.
@pytest.mark.parametrize(
    "text, control",
    [
        (
            'The parliament voted to pass the "Reproductive Health Care Reform Bill 2019" yesterday.',
            'The parliament voted after the minister said "the bill is long overdue" yesterday.',
        ),
        (
            'The march against the "British exit" drew crowds.',
            'The march against what organisers called the "British exit" drew crowds.',
        ),
        (
            'The newspaper printed the word "pandemic" on its front page.',
            'The newspaper quoted the minister saying "a pandemic is coming" on its front page.',
        ),
        ('Officers at the "safe house" found nothing.', 'Officers at the house said "we found nothing."'),
        (
            "The spokesman did not say whether the minister would resign.",
            "The spokesman said the minister would resign.",
        ),
        (
            "Interpol didn't say it received any arrest warrants from Iran.",
            "Interpol said it received two arrest warrants from Iran.",
        ),
        ("The minister refused to say the talks had failed.", "The minister went on to say the talks had failed."),
        ("An officer was dispatched to confirm the sighting.", "An officer confirmed the sighting."),
        ("Just don't tell anyone was released on Saturday.", "The director told reporters the film was released."),
    ],
)
def test_quotes_nothing_said_here(quotes_of, text, control):
    assert quotes_of(text) == []
    assert quotes_of(control) != []


@pytest.mark.parametrize(
    "text, content",
    [
        ("The teen was not identified. It was reported that the plan failed.", "the plan failed"),
        ("The agreement is said to include a ban on new drilling.", None),
    ],
)
def test_quotes_passive_report_names_no_speaker(quotes_of, text, content):
    rows = quotes_of(text)
    assert all(q.speaker_text is None and q.speaker_mention_text is None for q in rows)
    assert [q.text for q in rows] == ([content] if content else [])


def test_quotes_passive_report_with_agent_names_it(quotes_of):
    rows = quotes_of("It was reported by the BBC that the plan failed.")
    assert [(q.text, q.speaker_mention_text, q.speaker_text) for q in rows] == [("the plan failed", "the BBC", "BBC")]


@pytest.mark.parametrize(
    "text, content, cue",
    [
        (
            "The report explained how the fire spread through the building.",
            "how the fire spread through the building",
            "explained",
        ),
        ("The senator asked whether the funds had been spent.", "whether the funds had been spent", "asked"),
    ],
)
def test_quotes_reported_question_is_reported_speech(quotes_of, text, content, cue):
    assert [(q.kind, q.text, q.cue) for q in quotes_of(text)] == [("indirect", content, cue)]


@pytest.mark.parametrize(
    "text",
    [
        'Tony Abbott said, "It is effectively infanticide on demand." Penny Sharpe said the bill was overdue.',
        "One of the people said it would amount to Ukraine giving up its sovereignty and called it a “play”.",
    ],
)
def test_quotes_offsets_slice_back(quotes_of, text):
    rows = quotes_of(text)
    assert rows
    for q in rows:
        assert text[q.start_char : q.end_char] == q.text
        assert q.speaker_text is None or text[q.speaker_start_char : q.speaker_end_char] == q.speaker_text
        assert q.cue is None or text[q.cue_start_char : q.cue_end_char] == q.cue


@pytest.fixture(scope="module")
def ner_only_nlp():
    return load_model(Config(n_process=1, components=("ner",)))


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '"We will fully withdraw the bill," Carrie Lam said.',
            [("We will fully withdraw the bill,", "Carrie Lam", "said")],
        ),
        ("Fars News said the crash involved pilot error.", []),
    ],
)
def test_quotes_ner_only_keeps_marked_quotes(ner_only_nlp, text, expected):
    article = make_article("t1", "test", text, {})
    doc = ner_only_nlp(article.text_for_parser())
    mentions = extract_mentions(doc, article_id="t1", text=text)
    rows = extract_quotes(doc, article_id="t1", text=text, mentions=mentions)
    assert [(q.text, q.speaker_text, q.cue) for q in rows] == expected


@pytest.mark.parametrize(
    "text, content, speaker, cue",
    [
        (
            "The senator endorsed Hillary Clinton for president on Monday.",
            "Hillary Clinton for president",
            "The senator",
            "endorsed",
        ),
        ("The governor criticized the new tax plan.", "the new tax plan", "The governor", "criticized"),
        (
            "The mayor vowed to rebuild the bridge within a year.",
            "to rebuild the bridge within a year",
            "The mayor",
            "vowed",
        ),
        (
            "Protesters called for the resignation of the minister.",
            "the resignation of the minister",
            "Protesters",
            "called",
        ),
        (
            "The coach talked about the injury to his star player.",
            "the injury to his star player",
            "The coach",
            "talked",
        ),
        (
            "The opposition leader accused the government of hiding the report.",
            "the government of hiding the report",
            "The opposition leader",
            "accused",
        ),
    ],
)
def test_quotes_nominal_attribution(quotes_of, text, content, speaker, cue):
    assert [(q.kind, q.text, q.speaker_text, q.cue) for q in quotes_of(text)] == [("indirect", content, speaker, cue)]


@pytest.mark.parametrize(
    "text, content, speaker",
    [
        ("Exports fell sharply in March, the ministry said.", "Exports fell sharply in March", "the ministry"),
        (
            "The storm, officials said, destroyed about 200 homes.",
            "The storm, officials said, destroyed about 200 homes",
            "officials",
        ),
        ("Microsoft's spokesman said the company would appeal.", "the company would appeal", "Microsoft's spokesman"),
        (
            "The ministry said in a statement that no support will come from the government.",
            "no support will come from the government",
            "The ministry",
        ),
        (
            "Police warned that the roads could be closed until Friday.",
            "the roads could be closed until Friday",
            "Police",
        ),
        ("The company denied that it had broken any rules.", "it had broken any rules", "The company"),
        ("The minister acknowledged the plan might not work.", "the plan might not work", "The minister"),
    ],
)
def test_quotes_reported_clause_forms(quotes_of, text, content, speaker):
    """Before or around the cue, after 'in a statement', with its negation and modality kept."""
    assert [(q.kind, q.text, q.speaker_text) for q in quotes_of(text)] == [("indirect", content, speaker)]


@pytest.mark.parametrize(
    "text, content",
    [
        ("Unemployment rose to 9 percent, according to the statistics office.", "Unemployment rose to 9 percent"),
        ("According to the statistics office, unemployment rose to 9 percent.", "unemployment rose to 9 percent"),
        (
            "Unemployment rose to 9 percent, according to the statistics office, but wages kept pace.",
            "Unemployment rose to 9 percent",
        ),
    ],
)
def test_quotes_according_to(quotes_of, text, content):
    rows = quotes_of(text)
    assert [(q.text, q.cue) for q in rows] == [(content, text[rows[0].cue_start_char : rows[0].cue_end_char])]
    assert rows[0].speaker_text == "the statistics office"


@pytest.mark.parametrize(
    "text, speaker",
    [
        ('Hassan Rouhani spoke in Tehran. "Foreign forces are dangerous for the region." Rouhani said.', "Rouhani"),
        (
            'Carrie Lam spoke to reporters on Monday. "We will withdraw the bill," she said, as protesters gathered '
            'outside the building and police closed the roads nearby. "Our citizens have been injured."',
            "Carrie Lam",
        ),
        ('Ohio Governor John Kasich: "We are going all the way to Cleveland."', "John Kasich"),
    ],
)
def test_quotes_attribution_across_sentences(quotes_of, text, speaker):
    rows = quotes_of(text)
    assert rows and all(q.speaker_text == speaker for q in rows)


@pytest.mark.parametrize(
    "text, mention, speaker",
    [
        ("Maria Lopez met John Smith in Madrid. He said the deal was done.", "He", "John Smith"),
        ("John Smith met Maria Lopez in Madrid. She said the deal could still fail.", "She", "Maria Lopez"),
        ('"The deal is done," said Mr. Smith, who met Maria Lopez in Madrid.', "Mr. Smith", "Mr. Smith"),
        ("The mayor met Maria Lopez, who said the deal could still fail.", "who", "Maria Lopez"),
    ],
)
def test_quotes_speaker_mention_and_resolved_name(quotes_of, text, mention, speaker):
    rows = quotes_of(text)
    assert [(q.speaker_mention_text, q.speaker_text) for q in rows] == [(mention, speaker)]
    q = rows[0]
    assert text[q.speaker_mention_start_char : q.speaker_mention_end_char] == mention
    assert text[q.speaker_start_char : q.speaker_end_char] == speaker


def test_quotes_they_never_resolves_to_one_person(quotes_of):
    rows = quotes_of("John Smith met the union leaders on Tuesday. They said the strike would go ahead.")
    assert [(q.text, q.speaker_mention_text) for q in rows] == [("the strike would go ahead", "They")]
    assert rows[0].speaker_text != "John Smith"


def test_quotes_speaker_entity_joins_the_mentions_of_the_article(parse_text, quotes_of):
    text = "Angela Merkel arrived in Paris on Monday. Merkel said the talks had been useful."
    doc, article = parse_text(text)
    mentions = extract_mentions(doc, article_id=article.article_id, text=article.text)
    rows = quotes_of(text)
    assert [q.speaker_text for q in rows] == ["Merkel"]
    assert rows[0].speaker_entity_id in {m.entity_id for m in mentions if m.text == "Angela Merkel"}


@pytest.mark.parametrize("sep", ["\n\n", " "])
def test_quotes_same_rows_with_or_without_line_breaks(quotes_of, sep):
    """A one-line article gives the quotes of the same text in paragraphs (speed: scripts/bench.py)."""
    paragraphs = [
        '"We will appeal," Carrie Lam said.',
        "Fars News said the crash involved pilot error.",
        "Exports fell sharply in March, according to the statistics office.",
    ]
    text = sep.join(paragraphs * 3)
    rows = quotes_of(text)
    assert [(q.text, q.speaker_text) for q in rows] == [
        ("We will appeal,", "Carrie Lam"),
        ("the crash involved pilot error", "Fars News"),
        ("Exports fell sharply in March", "the statistics office"),
    ] * 3


@pytest.mark.parametrize(
    "text, content",
    [
        # a quotation opening the next paragraph does not quote the words of the clause before it
        (
            'The goal, he said, is to fix the road by May.\n\n"It will take years," the mayor added.',
            "The goal, he said, is to fix the road by May",
        ),
        ('The goal, he said, is to fix "the road by May."', None),
    ],
)
def test_quotes_reported_clause_ends_with_its_paragraph(quotes_of, text, content):
    indirect = [q.text for q in quotes_of(text) if q.kind == "indirect"]
    assert indirect == ([content] if content else [])


@pytest.mark.parametrize(
    "text, quote, speaker",
    [
        ('Smith boomed at the crowd: "We will win."', "We will win.", "Smith"),
        ('He addressed the supporters again: "Stay with me, friends."', "Stay with me, friends.", "He"),
        ('The headline was simple: "Go."', None, None),  # a copula introduces no speech
    ],
)
def test_quotes_colon_introduces_the_verb_subject_as_speaker(quotes_of, text, quote, speaker):
    rows = quotes_of(text)
    assert [(q.text, q.speaker_mention_text) for q in rows] == ([(quote, speaker)] if quote else [])


@pytest.mark.parametrize(
    "text, speaker",
    [
        ('The minister went on to say: "The talks have failed and we will leave."', "The minister"),
        ('The minister took to Twitter to say: "The talks have failed and we will leave."', "The minister"),
        ('The minister refused to say: "The talks have failed and we will leave."', None),
    ],
)
def test_quotes_lead_in_to_say_speaks_refusal_does_not(quotes_of, text, speaker):
    assert [q.speaker_mention_text for q in quotes_of(text)] == [speaker]


@pytest.mark.parametrize(
    "text, indirect",
    [
        ("Most voters said the same about the senator.", ["the same about the senator"]),
        ("The mayor said nothing about the fire.", []),  # nothing was said
        # Wikinews (CC BY 2.5): the noun after an inverted 'said' is who speaks, not what was said
        ('"I have heard that a lot of people think that," said a protester using the pseudonym Katya.', []),
    ],
)
def test_quotes_object_of_say_is_what_was_said(quotes_of, text, indirect):
    assert [q.text for q in quotes_of(text) if q.kind == "indirect"] == indirect


@pytest.mark.parametrize(
    "text, indirect",
    [
        (
            "The mayor said the bridge was safe and suggested that critics should visit it.",
            ["the bridge was safe", "critics should visit it"],
        ),
        # a coordinated verb with its own auxiliary still belongs to what was reported
        (
            "The army stated it would attack the border posts and would respond to any protest.",
            ["it would attack the border posts and would respond to any protest"],
        ),
    ],
)
def test_quotes_speech_verb_coordinated_after_the_report_starts_a_new_one(quotes_of, text, indirect):
    found = [q.text for q in quotes_of(text) if q.kind == "indirect"]
    assert found[: len(indirect)] == indirect
