"""Backend-neutral text: analyzers, the fused tokenizer, the user query parser, snippets,
dates, copy fingerprints and the ranking model (scoring.py)."""
