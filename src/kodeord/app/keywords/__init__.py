"""Keywords and numbers: leasing, the availability index, lifecycle, claims, import, and
the registry the router reads (who holds which keyword on which number).
"""
