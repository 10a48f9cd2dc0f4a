"""The PaliGemma engine: a fine-tuned PaliGemma (896 px) reading pages on GPU workers.

Modules, torch-free first (the web process may import these):

- ``safetensors_io``: safetensors headers read and checked without torch.
- ``checkpoint``: where a checkpoint lives and what its configs say (family, image size).
- ``base_model``: a base model's identity (a fingerprint that survives moving and re-casting it)
  and the shapes of its linear modules.
- ``adapter_files``: validation of a peft LoRA adapter directory (what the admin calls on upload).
- ``prompts``, ``answer_format``, ``lenient_json``, ``ocr_text``, ``tokens``: prompts, the
  training/answer format and its forgiving parser, OCR text to words, per-token confidence.
- ``scheduler``: the thread that batches concurrent requests by adapter.
- ``health``: start-up checks of model and adapter files.

With torch: ``loading`` (model + processor), ``adapters`` (LRU of resident LoRA adapters),
``decoding`` (batched greedy decoding with shared image features), ``runtime`` (one loaded base
model serving batches), ``serving`` (pages and text coding in request threads), ``engine``
(the :class:`~worker.engines.base.Engine`), ``tiny`` (a tiny random checkpoint for tests).
Nothing here is imported by this ``__init__``.
"""
