"""The Typesense backend: the contract's Engine and Store on a Typesense cluster. It never
imports the Whoosh engine; shared code comes from text/, ingest/ and the contract."""
