"""Words and phrases: tokenising, TF-IDF features and c-TF-IDF theme labels. numpy/scipy only."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# A compact English stop-word list (function words, auxiliaries, pronouns and filler common in free-text
# answers). Removed before counting so labels are made of content words.
_STOP_WORD_TEXT = """
    a about above after again against all almost also although always am among an and another any anyone anything
    are aren't around as at be became because been before being below between both but by can can't cannot could
    couldn't did didn't do does doesn't doing don't done down during each either else enough etc even ever every
    everyone everything few for from further get gets getting got had hadn't has hasn't have haven't having he he'd
    he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is
    isn't it it's its itself just let's like ll made make many may me might mine more most much must mustn't my
    myself need needs neither never no nor not now of off often on once one only or other others otherwise
    ought our ours ourselves out over own per quite rather re really said same say says see seem seemed seems
    shan't she she'd she'll she's should shouldn't since so some someone something still such than that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've thing things this
    those though through thus to too under until up upon us ve very via was wasn't we we'd we'll we're we've well
    were weren't what what's when when's where where's whether which while who who's whom whose why why's will with
    within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORD_TEXT.split())

_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:['-][a-z0-9]+)*")
# Phrases do not run across punctuation: "was burgled, burglary is rising" holds no phrase "burgled burglary".
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"/|\n\r\t]+|\s-+\s")


def tokenise(text: str) -> list[str]:
    """Lower-case word tokens; curly apostrophes are straightened so "don’t" meets the stop list."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def content_terms(text: str) -> list[str]:
    """Unigrams and bigrams with stop words removed.

    A bigram is two content words that stand next to each other in the text, so phrases such as "car park" or
    "waiting time" survive, while pairs that only met because a stop word between them was dropped do not.
    """
    unigrams: list[str] = []
    bigrams: list[str] = []
    for clause in _CLAUSE_BREAK.split(text):
        tokens = [t.removesuffix("'s") for t in tokenise(clause)]
        keep = [len(t) > 1 and t not in STOP_WORDS for t in tokens]
        unigrams.extend(t for t, k in zip(tokens, keep, strict=True) if k)
        bigrams.extend(
            f"{a} {b}" for a, b, ka, kb in zip(tokens, tokens[1:], keep, keep[1:], strict=False) if ka and kb
        )
    return unigrams + bigrams


@dataclass(frozen=True)
class TermMatrix:
    """Document-term presence counts (each term counted once per document) and the vocabulary."""

    counts: sp.csr_matrix
    vocabulary: list[str]


def term_matrix(texts: Sequence[str], min_df: int = 1) -> TermMatrix:
    """Binary document-term matrix over content unigrams and bigrams seen in at least ``min_df`` documents."""
    documents = [set(content_terms(t)) for t in texts]
    df = Counter(term for doc in documents for term in doc)
    vocabulary = sorted(term for term, n in df.items() if n >= min_df)
    index = {term: i for i, term in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for row, doc in enumerate(documents):
        ids = sorted(index[t] for t in doc if t in index)
        rows.extend([row] * len(ids))
        cols.extend(ids)
    data = np.ones(len(rows), dtype=np.float64)
    counts = sp.csr_matrix((data, (rows, cols)), shape=(len(texts), len(vocabulary)))
    return TermMatrix(counts=counts, vocabulary=vocabulary)


def tfidf(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Smoothed inverse-document-frequency weighting with L2-normalised rows (empty rows stay zero)."""
    n_docs = matrix.shape[0]
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    weighted = sp.csr_matrix(matrix @ sp.diags(idf))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)


def class_tfidf(
    terms: TermMatrix, labels: NDArray[np.int64], n_classes: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """c-TF-IDF (as in BERTopic): every theme is one big document; weight = tf(t, c) * log(1 + A / f(t)).

    tf is the share of theme c's term occurrences that are t, f(t) how often t occurs over all themes and A the
    average number of term occurrences per theme. Words frequent in one theme but rare elsewhere score highest.
    Rows with a negative label (no theme) are left out. Also returns, per theme and term, how many of the
    theme's responses contain the term (the matrix counts each term once per response).
    """
    member = labels >= 0
    indicator = sp.csr_matrix(
        (np.ones(int(member.sum())), (labels[member], np.flatnonzero(member))), shape=(n_classes, len(labels))
    )
    per_class = np.asarray((indicator @ terms.counts).todense(), dtype=np.float64)
    totals = per_class.sum(axis=1, keepdims=True)
    totals[totals == 0.0] = 1.0
    tf = per_class / totals
    frequency = per_class.sum(axis=0)
    average = float(per_class.sum()) / max(n_classes, 1)
    idf = np.log1p(average / np.maximum(frequency, 1.0))
    weights: NDArray[np.float64] = tf * idf
    return weights, per_class


def top_keywords(
    weights: NDArray[np.float64], vocabulary: Sequence[str], support: NDArray[np.float64], count: int
) -> list[str]:
    """The ``count`` best terms of one theme; a term used in only one response of a larger theme is skipped.

    ``support`` is how many of the theme's responses contain each term. Requiring two (when the theme has any
    term in two) keeps a single unusual answer from naming the whole theme.
    """
    minimum = 2.0 if support.max(initial=0.0) >= 2.0 else 1.0
    order = np.lexsort((np.arange(len(weights)), -weights))  # ties broken by vocabulary order: deterministic
    chosen = [vocabulary[i] for i in order if weights[i] > 0.0 and support[i] >= minimum]
    return chosen[:count]


def readable_label(keywords: Sequence[str], parts: int = 3) -> str:
    """Join the strongest terms into a short label, preferring a phrase over the words it contains."""
    picked: list[str] = []
    for term in keywords:
        words = set(term.split())
        if any(words <= set(p.split()) for p in picked):
            continue  # "car" adds nothing after "car park"
        picked = [p for p in picked if not set(p.split()) <= words]  # "car park" replaces an earlier "car"
        picked.append(term)
        if len(picked) == parts:
            break
    return ", ".join(picked) if picked else "(no distinctive words)"
