"""typesense"""
