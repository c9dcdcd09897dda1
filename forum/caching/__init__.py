"""The read path: kept pages, the keys they are kept under, and the reads that decide a cached answer."""
