"""nlptoolkit: a Keras 3 toolkit for applied NLP."""

__version__ = "0.1.0"
