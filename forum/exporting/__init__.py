"""Open exports of an article's debate: one model read in batches, and one streaming writer per format.

`model` reads the article, its threads and their argument trees (a batch of threads at a time, so that memory
stays flat whatever the article's size); `debate_json`, `aif`, `sadface` and `argdown` each turn that model into
chunks of text; `debate_import` reads the forum's own JSON back into a forum.
"""
