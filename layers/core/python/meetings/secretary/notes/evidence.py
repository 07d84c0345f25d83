"""Whether a drafted statement is supported by the transcript lines it cites: a deterministic check.

A cited id that is not a line the model was given (another room's segment, a line of a participant who
had not consented, an invented number) is rejected. A statement is `supported` when at least one cited
line remains and the statement shares at least one key term with those lines; otherwise it is
`unsupported`, and kept for the professional to judge. Key terms are the words of four letters or more
and the numbers, case- and accent-folded, without common function words and the words every visit
uses ("patient", "discussed"), compared on their first five letters so "prescribed" meets
"prescription". The check catches fabricated and misplaced citations; it cannot tell a faithful
statement from a subtle misreading of a line it shares words with.
"""

import re
import unicodedata
from dataclasses import dataclass

STEM_LENGTH = 5
MIN_WORD_LENGTH = 4
_WORD = re.compile(r"\w+")
# Function words (en, pt, es, fr) and visit words long enough to pass the length filter.
IGNORED = frozenset(
    """
    about above after again against also been before being below between both could does doing down
    during each from further have having here into just more most much must only other over same
    should some such than that their them then there these they this those through under until very
    were what when where which while will with would your yours that's
    para como mais mesmo muito pelo pela porque quando sobre também tambem entre depois antes ainda
    esta este isso isto essa esse aqui onde cada todo toda todos todas seus suas dele dela
    pero cuando donde desde hasta sobre entre porque tiene tienen este esta estos estas
    avec dans pour sans sous chez mais donc leur leurs cette tous toutes elle elles nous vous sont
    patient patients paciente pacientes client clients cliente doctor doctora professional profissional
    said says stated states reports reported discussed mentioned asked told going today visit meeting
    """.split()
)


@dataclass(frozen=True)
class EvidenceCheck:
    evidence: list[int]
    rejected_evidence: list[int]
    support: str  # "supported" | "unsupported"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def key_terms(text: str) -> set[str]:
    """The statement's or line's key terms, as compared stems."""
    terms = set()
    for word in _WORD.findall(_fold(text)):
        if word.isdigit():
            terms.add(word)
        elif len(word) >= MIN_WORD_LENGTH and word not in IGNORED:
            terms.add(word[:STEM_LENGTH])
    return terms


def check_evidence(text: str, cited: list[int], lines: dict[int, str]) -> EvidenceCheck:
    """Splits the cited ids into the room's given lines and the rest, and decides the support."""
    evidence = list(dict.fromkeys(segment_id for segment_id in cited if segment_id in lines))
    rejected = list(dict.fromkeys(segment_id for segment_id in cited if segment_id not in lines))
    cited_terms = (
        set().union(*(key_terms(lines[segment_id]) for segment_id in evidence)) if evidence else set()
    )
    supported = bool(key_terms(text) & cited_terms)
    return EvidenceCheck(evidence, rejected, "supported" if supported else "unsupported")
