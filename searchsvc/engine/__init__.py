"""The Whoosh backend: schema, query plans, ranking, match sets, folding, facets, spelling,
the store of generations and the indexer. engine/w3/ is its private Whoosh-format layer."""
