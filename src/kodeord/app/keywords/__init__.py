"""Keywords and numbers: leasing, the availability index, lifecycle, claims, import."""
