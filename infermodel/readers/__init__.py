"""Readers: files in other people's formats, turned into the kit's tables.

- :mod:`~infermodel.readers.price_sources`: what every price source gives (:class:`Quote`,
  :class:`Source`) and the unit checks they share;
- :mod:`~infermodel.readers.litellm` and :mod:`~infermodel.readers.genai_prices`: the two
  well-kept public price files;
- :mod:`~infermodel.readers.logs`: request logs (Azure, Mooncake, any CSV/JSONL/Parquet; a
  file, a folder of parts or a glob, here or at a URI: :mod:`~infermodel.readers.log_paths`),
  opened and checked row by row in DuckDB or Spark (:mod:`~infermodel.readers.engines`,
  :mod:`~infermodel.readers.spark_sessions`; the one SQL text and its Spark form,
  :mod:`~infermodel.readers.dialects`; how each engine gets the raw rows,
  :mod:`~infermodel.readers.log_sources` and :mod:`~infermodel.readers.spark_sources`; a
  CSV's records, :mod:`~infermodel.readers.csv_records`);
- :mod:`~infermodel.readers.measurements`: a user's own throughput measurements;
- :mod:`~infermodel.readers.focus` and :mod:`~infermodel.readers.focus_skus`: FOCUS
  cost-and-usage exports (bills), their lines sorted and their token SKUs read.

Readers parse and check; they hold no pricing logic (that is :mod:`infermodel.importers`,
:mod:`infermodel.trace_pricing`, :mod:`infermodel.calibration` and :mod:`infermodel.bills`).
"""
