"""Where a batch's results go: files per video with a journal, or a sharded Parquet dataset."""
