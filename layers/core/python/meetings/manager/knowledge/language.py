"""The text search configuration of a document or a question: the language its function words say.

A chunk is indexed with its document's configuration (stemming and stop words of that language);
text in no recognised language is indexed with `simple` (lowercased words, no stemming).
"""

import re

SIMPLE = "simple"
# PostgreSQL's built-in configurations, in the order a tie is settled.
FUNCTION_WORDS = {
    "portuguese": frozenset(
        "a o as os um uma de do da dos das em no na nos nas por para pelo pela com sem que se não nao é "
        "e ou mas ao aos à às seu sua seus suas este esta isso isto quando como mais muito também "
        "tambem são sao está esta estão ser ter foi há ha pode podem deve devem você voce".split()
    ),
    "english": frozenset(
        "the a an of to in on at for with without and or but is are was were be been being this that "
        "these those it its you your we our they their can may must should will would do does not "
        "from by as if when how what which who more also".split()
    ),
    "spanish": frozenset(
        "el la los las un una de del en por para con sin que se no es y o pero al su sus este esta "
        "eso esto cuando como más muy también son está están ser tener fue hay puede pueden debe usted".split()
    ),
}
SEARCH_CONFIGS = (*FUNCTION_WORDS, SIMPLE)
WORD = re.compile(r"[^\W\d_]+")
# Fewer recognised words than this and the language is not guessed.
MIN_EVIDENCE = 3


def detect_search_config(text: str) -> str:
    """The configuration whose function words occur most in `text` (the first 20,000 characters)."""
    words = [word.lower() for word in WORD.findall(text[:20_000])]
    counts = {
        config: sum(1 for word in words if word in vocabulary)
        for config, vocabulary in FUNCTION_WORDS.items()
    }
    best = max(counts, key=lambda config: counts[config])
    return best if counts[best] >= MIN_EVIDENCE else SIMPLE
