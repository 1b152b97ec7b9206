"""``get_config`` for the baselines: the constructor's arguments.

Each baseline keeps every constructor argument as an attribute of the
same name (the Keras and scikit-learn convention), so its config is read
from its ``__init__`` signature, as scikit-learn's ``get_params`` is.

Example:
>>> from nlptoolkit.baselines.config import ConstructorConfig
>>> class Smoother(ConstructorConfig):
...     def __init__(self, order=3, discount=None):
...         self.order, self.discount = order, discount
>>> Smoother(order=2).get_config()
{'order': 2, 'discount': None}
"""

import inspect


class ConstructorConfig:
    """A mixin whose ``get_config()`` is the constructor's arguments."""

    def get_config(self) -> dict:
        """The constructor arguments, as a dict."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in list(names)[1:]}
