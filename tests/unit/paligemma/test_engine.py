"""The engine end to end on CPU: prompts, adapters, batching across threads, bad input."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from core.doctypes import INVOICE, RECEIPT, AdapterRef, DocumentTypeSpec
from core.domain import FieldValue
from core.files import PNG
from core.settings import load_settings
from worker.engines.base import EngineError, EngineOutput, EngineRequest
from worker.engines.paligemma.answer_format import format_target
from worker.engines.paligemma.decoding import Generation
from worker.engines.paligemma.engine import EngineConfig, PaliGemmaEngine
from worker.engines.paligemma.scheduler import BatchTooLarge
from worker.engines.registry import EngineRegistry
from worker.pipeline.source import SourceDocument

ORDER = DocumentTypeSpec(name="order", fields=RECEIPT.fields, prompt="extract order")


def with_adapter(spec: DocumentTypeSpec, name: str, version: int = 1) -> DocumentTypeSpec:
    return replace(spec, adapter=AdapterRef(spec.name, version, name, ""))


@pytest.fixture
def make_engine(tiny448_dir: Path, adapter_dirs: dict[str, Path]):
    engines: list[PaliGemmaEngine] = []

    def make(**overrides) -> PaliGemmaEngine:
        config = EngineConfig(
            model=str(tiny448_dir),
            device="cpu",
            max_batch=8,
            batch_wait_s=0.05,
            adapter_cache_size=2,
            adapter_dir=adapter_dirs["invoice"].parent,
            ocr_max_new_tokens=6,
            extract_max_new_tokens=6,
        )
        engines.append(PaliGemmaEngine(replace(config, **overrides)))
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


def request(document: SourceDocument, spec: DocumentTypeSpec | None, *types: DocumentTypeSpec):
    known = {t.name: t for t in (types or ((spec,) if spec else ()))}
    return EngineRequest(document=document, spec=spec, types=known)


def test_a_type_without_adapter_is_read_with_ocr(make_engine, make_document) -> None:
    engine = make_engine()
    output = engine.run(request(make_document("ACME", "Total"), INVOICE))
    assert [page.index for page in output.pages] == [0, 1]
    assert all(page.source == "paligemma" and page.width == 448 for page in output.pages)
    assert output.result.engine.name == "paligemma" and output.result.engine.adapter is None
    assert output.result.engine.version.startswith("1.0+")
    assert [(key.adapter, size) for key, size in engine.scheduler.history] == [(None, 2)]


def test_a_type_with_adapter_is_extracted_under_its_key(make_engine, make_document) -> None:
    engine = make_engine()
    spec = with_adapter(INVOICE, "invoice")
    output = engine.run(request(make_document("INVOICE 7"), spec))
    assert output.result.engine.adapter == "invoice@v1"
    assert output.result.document_type == "invoice" and output.pages[0].words == ()
    ((key, size),) = engine.scheduler.history
    assert key.adapter == spec.adapter and size == 1


def test_blank_pages_are_not_sent_to_the_model(make_engine, make_document) -> None:
    engine = make_engine()
    output = engine.run(request(make_document("ACME", blank=True), RECEIPT))
    assert len(output.pages) == 2 and output.pages[1].is_empty
    assert [size for _, size in engine.scheduler.history] == [1]


def test_detected_type_reuses_the_pages_image_features(make_engine, make_document) -> None:
    engine = make_engine()
    invoice = with_adapter(INVOICE, "invoice")
    output = engine.run(request(make_document("A", "B", "C"), None, invoice, RECEIPT))
    assert output.result.engine.adapter == "invoice@v1"  # nothing detected: the first type
    assert output.result.type_confidence == 0.0
    assert [key.adapter for key, _ in engine.scheduler.history] == [None, invoice.adapter]
    assert engine.runtime().vision_pages == 3  # once per page for both prompts
    assert output.pages[0].source == "paligemma"  # the ocr pass's words are kept


def test_concurrent_documents_are_batched_by_adapter_and_equal_one_by_one(
    make_engine, make_document
) -> None:
    specs = [with_adapter(INVOICE, "invoice"), with_adapter(RECEIPT, "receipt"), ORDER]
    documents = [(make_document(f"DOC {n}", f"p2 {n}"), specs[n % 3]) for n in range(6)]
    engine = make_engine(batch_wait_s=0.3)
    batched = record_answers(engine)
    results: dict[int, EngineOutput] = {}

    def work(n: int) -> None:
        results[n] = engine.run(request(*documents[n]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 6
    assert max(size for _, size in engine.scheduler.history) > 2  # rows of several documents
    for n, (_, spec) in enumerate(documents):
        assert results[n].result.engine.adapter == (spec.adapter.key if spec.adapter else None)
    alone = make_engine(max_batch=1, batch_wait_s=0.0)
    one_by_one = record_answers(alone)
    for n, (document, spec) in enumerate(documents):
        single = alone.run(request(document, spec))
        assert single.pages == results[n].pages
        assert single.result.fields == results[n].result.fields
    assert one_by_one.keys() == batched.keys() and len(batched) == 12
    for key, (tokens, probs) in batched.items():
        assert one_by_one[key][0] == tokens
        assert one_by_one[key][1] == pytest.approx(probs, rel=1e-4, abs=1e-5)
    assert len({tokens for tokens, _ in batched.values()}) > 1  # not one degenerate answer


def record_answers(
    engine: PaliGemmaEngine,
) -> dict[tuple[str, str | None], tuple[tuple[int, ...], tuple[float, ...]]]:
    """Wrap the runtime: every (page, adapter) -> (tokens, probabilities) it decoded."""
    runtime = engine.runtime()
    original, seen = runtime.run_batch, {}

    def run_batch(adapter, rows):
        generations = original(adapter, rows)
        for row, generation in zip(rows, generations, strict=True):
            key = (row.page_key, adapter.key if adapter else None)
            seen[key] = (generation.token_ids, generation.probs)
        return generations

    runtime.run_batch = run_batch  # type: ignore[method-assign]
    return seen


def scripted(engine: PaliGemmaEngine, answers: dict[str, tuple[str, float]]):
    """Replace the model: each page answers a fixed text (by the first text on the page)."""
    runtime = engine.runtime()
    tokenizer = runtime.loaded.processor.tokenizer
    page_answers: dict[str, tuple[str, float]] = {}

    def run_batch(adapter, rows):
        generations = []
        for row in rows:
            text, low = page_answers[row.page_key]
            ids = tuple(tokenizer.encode(text, add_special_tokens=False))
            probs = tuple(low if tokenizer.decode([i]) == "9" else 0.95 for i in ids)
            generations.append(Generation(ids, probs, finished=not text.endswith("…")))
        return generations

    runtime.run_batch = run_batch  # type: ignore[method-assign]
    return page_answers


def test_answers_become_fields_with_boxes_pages_and_confidence(
    make_engine, make_document, monkeypatch
) -> None:
    engine = make_engine()
    spec = with_adapter(INVOICE, "invoice")
    document = make_document("one", "two")
    page_answers = scripted(engine, {})
    pages = engine.prepare(document, engine._served[engine.config.model])
    first = format_target(
        {
            "invoice_number": FieldValue("INV-1", bbox=(0.1, 0.1, 0.3, 0.12)),
            "total_amount": FieldValue("19.99"),
        },
        [{"description": FieldValue("Widget")}],
        spec,
    )
    second = (
        format_target(
            {"invoice_number": FieldValue("INV-1"), "currency": FieldValue("EUR")},
            [{"description": FieldValue("Bolt")}],
            spec,
        )[:-12]
        + "…"
    )  # cut inside the last line item
    page_answers[pages[0].key] = (first, 0.4)
    page_answers[pages[1].key] = (second, 0.4)
    fields = engine.run(request(document, spec)).result.fields
    items = engine.run(request(document, spec)).result.line_items
    assert fields["invoice_number"].page == 1 and fields["invoice_number"].bbox is not None
    assert fields["total_amount"].confidence == pytest.approx(0.4)  # the doubtful "9"s
    assert fields["invoice_number"].confidence == pytest.approx(0.95)
    assert fields["currency"].value == "EUR" and fields["currency"].page == 2
    assert fields["total_amount"].source == "paligemma"
    assert [item["description"].value for item in items] == ["Widget"]


def test_out_of_memory_fails_only_that_document(make_engine, make_document) -> None:
    engine = make_engine(batch_wait_s=0.2)
    heavy, light = make_document("heavy"), make_document("light")
    heavy_key = engine.prepare(heavy, engine._served[engine.config.model])[0].key
    original = engine.runtime().run_batch

    def run_batch(adapter, rows):
        if any(row.page_key == heavy_key for row in rows):
            raise BatchTooLarge("CUDA out of memory")
        return original(adapter, rows)

    engine.runtime().run_batch = run_batch
    outcome: dict[str, object] = {}

    def work(name, document) -> None:
        try:
            outcome[name] = engine.run(request(document, RECEIPT))
        except EngineError as error:
            outcome[name] = error

    threads = [
        threading.Thread(target=work, args=item) for item in (("heavy", heavy), ("light", light))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcome["heavy"], EngineError)
    assert "out of GPU memory" in str(outcome["heavy"])
    assert not isinstance(outcome["light"], Exception)


def test_bad_input_fails_with_readable_reasons(
    make_engine, make_document, adapter_dirs, tmp_path
) -> None:
    engine = make_engine()
    document = make_document("x")
    missing_page = SourceDocument(document.path, PNG, 2)
    with pytest.raises(EngineError, match="page 2"):
        engine.run(request(missing_page, RECEIPT))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "adapter_config.json").write_text("{}")
    (pickled / "adapter_model.bin").write_bytes(b"\x80\x04")
    spec = replace(INVOICE, adapter=AdapterRef("invoice", 9, str(pickled), ""))
    with pytest.raises(EngineError, match=r"invoice@v9 refused.*pickled"):
        engine.run(request(document, spec))


def test_the_registry_builds_the_engine_from_settings(tiny448_dir: Path, tmp_path: Path) -> None:
    settings = load_settings(
        paligemma_model=str(tiny448_dir), paligemma_device="cpu", data_dir=tmp_path
    )
    engine = EngineRegistry(settings).get("paligemma")
    assert isinstance(engine, PaliGemmaEngine)
    assert engine.config.adapter_dir == tmp_path / "adapters"
    engine.close()


def test_ocr_alongside_an_adapter_shares_the_vision_pass(make_engine, make_document) -> None:
    engine = make_engine(ocr_with_adapter=True)
    spec = with_adapter(INVOICE, "invoice")
    output = engine.run(request(make_document("A", "B"), spec))
    assert [key.adapter for key, _ in engine.scheduler.history] == [spec.adapter, None]
    assert engine.runtime().vision_pages == 2 and len(output.pages) == 2


def test_an_adapter_of_the_vision_tower_gets_its_own_image_features(
    make_engine, make_document
) -> None:
    engine = make_engine()
    vision = with_adapter(INVOICE, "vision")
    engine.run(request(make_document("A", "B"), None, vision, RECEIPT))
    assert engine.runtime().vision_pages == 4  # ocr on the base, extraction with the adapter


def test_progress_counts_pages_and_only_moves_forward(make_engine, make_document) -> None:
    engine = make_engine(batch_wait_s=0.0, max_batch=1)
    told: list[tuple[int, int]] = []
    document = make_document("A", "B", blank=True)
    invoice = with_adapter(INVOICE, "invoice")
    types = {"invoice": invoice, "receipt": RECEIPT}
    engine.run(EngineRequest(document, None, types, progress=lambda *a: told.append(a)))
    assert told[-1] == (3, 3) and all(total == 3 for _, total in told)
    assert [done for done, _ in told] == sorted({done for done, _ in told})  # never backwards
