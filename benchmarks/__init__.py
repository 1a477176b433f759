"""The benchmark suites of acmix_ts: ``python -m benchmarks.<suite>`` from the repository root.

Suites: ``ltsf``, ``realworld``, ``peers``, ``stocks``, ``efficiency``; each writes its tables
to ``benchmarks/results/``. Protocols: ``docs/benchmarks.md``.
"""
