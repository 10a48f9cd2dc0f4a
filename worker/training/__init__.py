"""Retraining a document type's LoRA adapter from the documents people reviewed.

The stages, in the order a job runs them (:mod:`worker.training.job` strings them together):

- ``sources``: the type's approved documents (and synthetic ones when they are few), each as
  its file and its reviewed values;
- ``dataset``: one example per page (the page at the model's input size, the type's prompt,
  the reviewed values as the compact JSON answer), an evaluation set split off by document,
  frozen in a manifest so a resumed job trains on exactly the same data;
- ``trainer``: LoRA training with peft (torch), with progress, cancellation between steps and
  checkpoints a restarted worker resumes from;
- ``evaluation``: the new adapter and the active one read the same held-out documents through
  the serving engine, scored with the acceptance scorer's rules;
- ``job``/``monitor``/``recovery``: the job row (claim, heartbeat, progress, log, outcome) and
  the sweeper's hand-over of jobs whose worker died.

Only ``trainer``, ``evaluation`` and ``job`` import torch (lazily where the task imports them).
"""
