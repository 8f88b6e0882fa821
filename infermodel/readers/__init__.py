"""Readers: files in other people's formats, turned into the kit's tables.

- :mod:`~infermodel.readers.price_files`: what every price source gives (:class:`Quote`,
  :class:`Source`) and the unit checks they share;
- :mod:`~infermodel.readers.litellm` and :mod:`~infermodel.readers.genai_prices`: the two
  well-kept public price files;
- :mod:`~infermodel.readers.logs`: request logs (Azure, Mooncake, any CSV/JSONL/Parquet; a
  file, a folder of parts or a glob, here or at a URI: :mod:`~infermodel.readers.logs.locations`),
  opened and checked row by row in DuckDB or Spark (:mod:`~infermodel.readers.logs.engines`,
  :mod:`~infermodel.readers.logs.spark_sessions`; the one SQL text and its Spark form,
  :mod:`~infermodel.readers.logs.dialects`; how each engine gets the raw rows,
  :mod:`~infermodel.readers.logs.sources` and :mod:`~infermodel.readers.logs.spark_sources`;
  a CSV's records, :mod:`~infermodel.readers.logs.csv_records`);
- :mod:`~infermodel.readers.measurements`: a user's own throughput measurements;
- :mod:`~infermodel.readers.focus` and :mod:`~infermodel.readers.focus.skus`: FOCUS
  cost-and-usage exports (bills), their lines sorted and their token SKUs read.

Readers parse and check; they hold no pricing logic (that is :mod:`infermodel.prices.importers`,
:mod:`infermodel.pricing.trace_pricing`, :mod:`infermodel.estimator.calibration` and
:mod:`infermodel.pricing.reconcile`).
"""
