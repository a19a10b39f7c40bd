-- Free text shown to roles without personal access is masked for the persons it may name
-- (geo/activity_text.py `named`): any foreign national or worker with a word of their name among
-- the text's words. Without an index that read split every name on every request (seconds at
-- province scale; bench/RESULTS-attention.md); these GIN indexes on the same expression answer it
-- from the words. The expression must stay identical to the query's for the planner to use them.
CREATE INDEX foreign_nationals_name_words_idx ON foreign_nationals
    USING gin ((regexp_split_to_array(lower(full_name), '[^[:alnum:]_]+')));
CREATE INDEX foreign_workers_name_words_idx ON foreign_workers
    USING gin ((regexp_split_to_array(lower(full_name), '[^[:alnum:]_]+')));
