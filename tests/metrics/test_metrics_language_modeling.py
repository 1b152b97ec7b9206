import math

import numpy as np
import pytest

from nlptoolkit.metrics import bits_per_token
from nlptoolkit.metrics import perplexity


def test_perplexity_known_values():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(141.2)) == pytest.approx(141.2)
    assert perplexity(np.float32(math.log(65))) == pytest.approx(65, rel=1e-6)
    assert perplexity(1e6) == math.inf


def test_bits_per_token_known_values():
    assert bits_per_token(math.log(2)) == pytest.approx(1.0)
    assert bits_per_token(1.4697) == pytest.approx(2.120329, abs=1e-6)
    assert type(bits_per_token(1)) is float


@pytest.mark.parametrize("function", [perplexity, bits_per_token])
def test_invalid_losses(function):
    with pytest.raises(ValueError, match=">= 0"):
        function(-0.1)
    with pytest.raises(ValueError, match="NaN"):
        function(float("nan"))
    with pytest.raises(TypeError, match="nats"):
        function("1.0x")
