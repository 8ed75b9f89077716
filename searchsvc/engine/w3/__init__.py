"""engine/w3"""
