"""Report writers: each output is a view of the result model (per video: JSON, frames CSV, plot, thumbnails;
per batch: summary.csv, segments.csv, results.json, statistics.md, report.html; a Parquet row)."""
