"""Reading inputs and writing outputs: folders, .gz, WARC, JSONL, fsspec URLs; atomic JSONL(.gz)/Parquet writers."""
