"""Throughput of the FormLens PaliGemma engine against plain ``model.generate``, same device.

The full configuration is the real PaliGemma-3B-896 architecture (SigLIP So400m/14 at 896 px,
4096 image tokens, + Gemma 2B, vocabulary 257216) with random weights: cost does not depend
on the weights' values, and every row writes a fixed number of tokens (end-of-sequence is
suppressed). The checkpoint is written to disk and loaded through the engine's own loader, so
(a) and (b) run the very same weights on the same device:

  (a) plain ``model.generate``, one page at a time (processor + generate, bf16 on a GPU);
  (b) the engine (scheduler, batching, shared image features) fed by ``--threads`` request
      threads as the GPU Celery worker would, without adapter, with one LoRA adapter, and with
      ``--adapters`` adapters in a uniform mix. A batch only fills when enough documents wait,
      so the threads (the worker's concurrency) default to twice the batch size.

It prints the device, pages/s of each, the ratio, achieved TFLOP/s (analytic FLOPs of one
page) and the share of the GPU's dense bf16 peak, and peak GPU memory of a batch-8 run.
Without a GPU it runs a reduced configuration (small widths, 448 px) as a smoke check: its
figures say nothing about GPU throughput.

    python -m bench.paligemma_throughput                 # GPU: full size; CPU: smoke
    python -m bench.paligemma_throughput --new-tokens 256 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from PIL import Image, ImageDraw
from safetensors.torch import save_file

from core.doctypes import INVOICE, AdapterRef, DocumentTypeSpec
from core.files import PNG
from worker.engines.base import EngineRequest
from worker.engines.paligemma.adapter_files import META_BASE_NAME, META_FINGERPRINT
from worker.engines.paligemma.base_model import BaseModelInfo, describe_base
from worker.engines.paligemma.engine import EngineConfig, PaliGemmaEngine
from worker.engines.paligemma.runtime import RuntimeOptions
from worker.engines.paligemma.tiny import (
    PALIGEMMA_3B,
    PALIGEMMA_3B_VOCAB,
    Dims,
    _hf,
    build_processor,
    build_tokenizer,
    paligemma_config,
)
from worker.pipeline.source import RenderSpec, SourceDocument

SMOKE = Dims(64, 128, 2, 2, 128, 256, 2, 2, 1, 64)
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# Dense bf16 tensor-core peaks (TFLOP/s), by a substring of the device name.
PEAK_TFLOPS = {
    "H200": 989.0,
    "H100 PCIe": 756.0,
    "H100": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L4": 121.0,
    "A10G": 125.0,
    "RTX 4090": 165.0,
}


@dataclass(frozen=True)
class Setup:
    device: torch.device
    dims: Dims
    image_size: int
    vocab: int
    pages: int
    baseline_pages: int
    new_tokens: int
    max_batch: int
    threads: int
    adapters: int
    rank: int


@dataclass(frozen=True)
class Measure:
    name: str
    pages: int
    seconds: float
    peak_gib: float | None = None

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds


# -- FLOPs ------------------------------------------------------------------------------------


def flops_per_page(dims: Dims, image_size: int, vocab: int, prompt: int, new: int) -> float:
    """Multiply-adds x2 of one page: vision tower, projector, prefill, decoding."""
    image = (image_size // 14) ** 2
    v_linear = dims.vision_layers * (
        4 * dims.vision_hidden**2 + 2 * dims.vision_hidden * dims.vision_intermediate
    )
    vision = 2 * v_linear * image + 4 * image**2 * dims.vision_hidden * dims.vision_layers
    projector = 2 * dims.vision_hidden * dims.text_hidden * image
    heads = dims.text_heads * dims.head_dim
    t_linear = dims.text_layers * (
        2 * dims.text_hidden * heads  # q, o
        + 2 * dims.text_hidden * dims.text_kv_heads * dims.head_dim  # k, v
        + 3 * dims.text_hidden * dims.text_intermediate
    )
    prefix = image + prompt
    prefill = 2 * t_linear * prefix + 4 * prefix**2 * heads * dims.text_layers
    per_token = 2 * t_linear + 2 * dims.text_hidden * vocab
    decode = new * per_token + 4 * new * (prefix + new / 2) * heads * dims.text_layers
    return float(vision + projector + prefill + 2 * dims.text_hidden * vocab + decode)


def peak_tflops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_TFLOPS.items() if key in name), None)


# -- inputs -----------------------------------------------------------------------------------


def write_checkpoint(setup: Setup, out: Path) -> Path:
    """A random-weight PaliGemma of ``setup``'s size, saved like a real checkpoint."""
    tokenizer = build_tokenizer(vocab_size=setup.vocab)
    config = paligemma_config(
        setup.dims,
        image_size=setup.image_size,
        vocab_size=setup.vocab,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
    )
    dtype = torch.bfloat16 if setup.device.type == "cuda" else torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(setup.device):
            model = _hf.PaliGemmaForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(previous)
    model.save_pretrained(out)
    build_processor(tokenizer, setup.image_size).save_pretrained(out)
    del model
    return out


def write_adapter(out: Path, base: BaseModelInfo, rank: int, seed: int) -> Path:
    """A random LoRA adapter on the language model's linear layers (vision left frozen)."""
    generator = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    for module, (n_out, n_in) in base.linear_shapes.items():
        if module.startswith("language_model.") and module.endswith(LORA_TARGETS):
            prefix = f"base_model.model.model.{module}"
            tensors[f"{prefix}.lora_A.weight"] = torch.randn(rank, n_in, generator=generator) * 0.02
            tensors[f"{prefix}.lora_B.weight"] = (
                torch.randn(n_out, rank, generator=generator) * 0.02
            )
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.to(torch.bfloat16) for k, v in tensors.items()},
        out / "adapter_model.safetensors",
        metadata={"format": "pt", META_FINGERPRINT: base.fingerprint, META_BASE_NAME: base.name},
    )
    config = {
        "peft_type": "LORA",
        "r": rank,
        "lora_alpha": 2 * rank,
        "bias": "none",
        "target_modules": list(LORA_TARGETS),
        "base_model_name_or_path": base.name,
    }
    (out / "adapter_config.json").write_text(json.dumps(config))
    return out


def page(seed: int, size: int) -> Image.Image:
    image = Image.new("RGB", (size, int(size * 1.41)), "white")
    draw = ImageDraw.Draw(image)
    for line in range(40):
        draw.text(
            (30, 20 + 28 * line), f"Item {seed}-{line}  qty 2  12.50 EUR  total", fill="black"
        )
    return image


def documents(count: int, size: int, out: Path) -> list[SourceDocument]:
    docs = []
    for index in range(count):
        path = out / f"page{index}.png"
        page(index, size).save(path)
        docs.append(SourceDocument(path, PNG, 1))
    return docs


# -- measurements -----------------------------------------------------------------------------


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_generate(
    engine: PaliGemmaEngine, docs: list[SourceDocument], setup: Setup, prompt: str
) -> Measure:
    """(a): processor + ``generate`` one page at a time, exactly ``new_tokens`` each."""
    loaded = engine.runtime().loaded
    size = (loaded.image_size, loaded.image_size)

    def one(document: SourceDocument) -> None:
        image = document.render(0, RenderSpec(size=size))
        inputs = loaded.processor(images=[image], text=["<image>" + prompt], return_tensors="pt")
        inputs.pop("labels", None)
        inputs = inputs.to(loaded.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(loaded.dtype)
        with torch.inference_mode():
            loaded.model.generate(
                **inputs,
                max_new_tokens=setup.new_tokens,
                min_new_tokens=setup.new_tokens,
                do_sample=False,
            )

    one(docs[-1])  # warm-up
    sync(setup.device)
    start = time.perf_counter()
    for document in docs:
        one(document)
    sync(setup.device)
    return Measure("plain generate, batch 1", len(docs), time.perf_counter() - start)


def measure_engine(
    name: str,
    engine: PaliGemmaEngine,
    docs: list[SourceDocument],
    specs: list[DocumentTypeSpec],
    threads: int,
) -> Measure:
    """(b): ``threads`` request threads feed the engine, as the GPU Celery worker does."""
    work: queue.Queue[tuple[SourceDocument, DocumentTypeSpec]] = queue.Queue()
    for index, document in enumerate(docs):
        work.put((document, specs[index % len(specs)]))
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            try:
                document, spec = work.get_nowait()
            except queue.Empty:
                return
            try:
                engine.run(EngineRequest(document=document, spec=spec, types={spec.name: spec}))
            except BaseException as error:  # reported after the run
                errors.append(error)

    device = engine.runtime().loaded.device
    for spec in specs:  # warm-up: adapters resident, kernels chosen
        engine.run(EngineRequest(document=docs[0], spec=spec, types={spec.name: spec}))
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    sync(device)
    seconds = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{name}: {len(errors)} documents failed: {errors[0]}")
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return Measure(name, len(docs), seconds, peak)


def run(setup: Setup, workdir: Path, report: Callable[[str], None]) -> dict[str, Any]:
    report(f"device: {describe_device(setup.device)}")
    model_dir = write_checkpoint(setup, workdir / "model")
    base = describe_base(model_dir)
    adapters = [
        write_adapter(workdir / f"adapter{i}", base, setup.rank, seed=i)
        for i in range(setup.adapters)
    ]
    config = EngineConfig(
        model=str(model_dir),
        device=str(setup.device),
        max_batch=setup.max_batch,
        batch_wait_s=0.01,
        adapter_cache_size=max(4, setup.adapters),
        adapter_dir=workdir,
        ocr_max_new_tokens=setup.new_tokens,
        extract_max_new_tokens=setup.new_tokens,
        runtime=RuntimeOptions(stop_at_eos=False, feature_cache_pages=2 * setup.max_batch),
    )
    engine = PaliGemmaEngine(config)
    docs = documents(setup.pages, 900, workdir)
    plain = replace(INVOICE, adapter=None)
    typed = [
        replace(
            INVOICE,
            name=f"type{i}",
            prompt="extract invoice",
            adapter=AdapterRef(f"type{i}", 1, str(path), base.fingerprint),
        )
        for i, path in enumerate(adapters)
    ]
    prompt_len = len(engine._served[config.model].prompt_ids("extract invoice"))
    results = [measure_generate(engine, docs[: setup.baseline_pages], setup, "extract invoice")]
    report(line(results[-1]))
    for name, specs in (
        ("engine, no adapter (ocr)", [plain]),
        ("engine, 1 adapter", typed[:1]),
        (f"engine, {setup.adapters} adapters mixed", typed),
    ):
        results.append(measure_engine(name, engine, docs, specs, setup.threads))
        report(line(results[-1]))
    engine.close()
    memory = batch8_memory(setup, config, docs, typed[:1], report)
    return summary(setup, results, memory, prompt_len, report)


def batch8_memory(
    setup: Setup,
    config: EngineConfig,
    docs: list[SourceDocument],
    specs: list[DocumentTypeSpec],
    report: Callable[[str], None],
) -> float | None:
    if setup.device.type != "cuda":
        return None
    engine = PaliGemmaEngine(replace(config, max_batch=8))
    result = measure_engine("engine, batch 8", engine, docs[:16], specs, 8)
    engine.close()
    report(line(result))
    return result.peak_gib


def line(result: Measure) -> str:
    peak = f", peak {result.peak_gib:.1f} GiB" if result.peak_gib is not None else ""
    return (
        f"  {result.name:<34} {result.pages:4d} pages in {result.seconds:7.2f} s = "
        f"{result.pages_per_s:7.3f} pages/s{peak}"
    )


def summary(
    setup: Setup,
    results: list[Measure],
    batch8_gib: float | None,
    prompt_len: int,
    report: Callable[[str], None],
) -> dict[str, Any]:
    flops = flops_per_page(setup.dims, setup.image_size, setup.vocab, prompt_len, setup.new_tokens)
    flops_256 = flops_per_page(setup.dims, setup.image_size, setup.vocab, prompt_len, 256)
    peak = peak_tflops(setup.device)
    plain, single, mixed = results[0], results[2], results[3]
    report(f"FLOPs per page: {flops / 1e12:.4g} TFLOP ({flops_256 / 1e12:.4g} at 256 tokens)")
    for result in results:
        achieved = result.pages_per_s * flops / 1e12
        share = f", {100 * achieved / peak:.1f}% of {peak:.0f}" if peak else ""
        report(f"  {result.name:<34} {achieved:9.4g} TFLOP/s{share}")
    report(f"engine (1 adapter) / plain generate: {single.pages_per_s / plain.pages_per_s:.1f}x")
    report(f"{setup.adapters} adapters / 1 adapter: {mixed.pages_per_s / single.pages_per_s:.2f}x")
    if peak:
        report(f"compute ceiling at this length: {peak * 1e12 / flops:.1f} pages/s")
    if batch8_gib is not None:
        report(f"peak GPU memory at batch 8: {batch8_gib:.1f} GiB (target: within 24 GiB)")
    return {
        "device": describe_device(setup.device),
        "setup": {k: (str(v) if k == "device" else v) for k, v in asdict(setup).items()},
        "tflop_per_page": flops / 1e12,
        "results": [{**asdict(r), "pages_per_s": r.pages_per_s} for r in results],
        "speedup": single.pages_per_s / plain.pages_per_s,
        "adapter_mix_ratio": mixed.pages_per_s / single.pages_per_s,
        "batch8_peak_gib": batch8_gib,
    }


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB), torch {torch.__version__}"
    return f"CPU {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def parse_setup(argv: list[str] | None = None) -> tuple[Setup, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--full", action="store_true", help="full size even on CPU")
    parser.add_argument("--pages", type=int, help="pages per engine measurement")
    parser.add_argument("--baseline-pages", type=int, help="pages for plain generate")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32, help="rows per decoding batch")
    parser.add_argument("--threads", type=int, help="request threads (default: 2 x batch)")
    parser.add_argument("--adapters", type=int, default=4)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else ("cpu" if args.device == "auto" else args.device)
    )
    full = device.type == "cuda" or args.full
    setup = Setup(
        device=device,
        dims=PALIGEMMA_3B if full else SMOKE,
        image_size=896 if full else 448,
        vocab=PALIGEMMA_3B_VOCAB if full else 0,
        pages=args.pages or (192 if full else 16),
        baseline_pages=args.baseline_pages or (6 if full else 4),
        new_tokens=args.new_tokens if full else min(args.new_tokens, 16),
        max_batch=args.batch,
        threads=args.threads or 2 * args.batch,
        adapters=args.adapters,
        rank=args.rank if full else 4,
    )
    if not full:
        setup = replace(setup, vocab=len(build_tokenizer()))
    return setup, args


def main(argv: list[str] | None = None) -> None:
    setup, args = parse_setup(argv)
    if setup.device.type != "cuda":
        print(
            "no GPU: reduced smoke configuration (small widths, 448 px); "
            "these figures say nothing about GPU throughput"
        )
    with tempfile.TemporaryDirectory(prefix="pg-bench-") as workdir:
        outcome = run(setup, Path(workdir), print)
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=2))


if __name__ == "__main__":
    main()
