"""kegru: transcription-factor binding-site prediction with KEGRU and its peers.

KEGRU (Shen, Bao & Huang, Sci. Rep. 8:15270, 2018) cuts DNA into k-mers, embeds them
with word2vec and classifies the k-mer sentence with a bidirectional GRU.
"""

__version__ = "0.1.0"

from kegru.data.fasta import read_fasta  # noqa: E402
from kegru.data.formats import read_labelled  # noqa: E402
from kegru.data.sequences import LabelledSequences  # noqa: E402
from kegru.errors import InputError  # noqa: E402

__all__ = ["InputError", "LabelledSequences", "read_labelled", "read_fasta", "__version__"]
