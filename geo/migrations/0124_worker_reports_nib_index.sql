-- worker_reports by employer NIB: since 0109 keeps the per-NIB counts (worker_report_counts), no
-- statement reads reports by NIB (they are read by their key, worker and agency), and every report
-- a workers import writes paid this index's entry (bench/RESULTS-imports.md). A future reader of a
-- company's reports can bring it back.
DROP INDEX worker_reports_nib_idx;
