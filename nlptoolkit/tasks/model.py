"""``TaskModel``: the Keras model inside every Task, and the workarounds
that let it train under multi-worker strategies.

A :class:`TaskModel` is a functional model ``token_ids ->
head(backbone(token_ids))`` that also carries the tokenizer and the Task's
settings (``task_config``), so one ``.keras`` file holds everything
``nlptoolkit.load`` needs. Under ``MultiWorkerMirroredStrategy`` Keras'
TF trainer reduces the first batch and the step logs in ways that
strategy rejects (keras-team/keras#20585): ``_maybe_symbolic_build`` and
:func:`_reducible_logs` work around both.
"""

import keras

from nlptoolkit.tasks.scale import dtype_policy_scope


@keras.saving.register_keras_serializable(package="nlptoolkit")
class TaskModel(keras.Model):
    """Functional model ``token_ids -> head(backbone(token_ids))``.

    It also carries the ``tokenizer`` (its vocabulary is saved as an asset)
    and ``task_config``, a JSON-able dict with the Task's class id, its
    constructor arguments and what it learned from the data (labels...).
    """

    def __init__(self, backbone, head, tokenizer, task_config=None, **kwargs):
        inputs = backbone.input
        outputs = head(backbone(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.carry(backbone, head, tokenizer, task_config)

    def carry(self, backbone, head, tokenizer, task_config=None):
        """Keep the parts and settings that ``get_config`` saves (after
        the functional model is built)."""
        self.backbone = backbone
        self.head = head
        self.tokenizer = tokenizer
        self.task_config = dict(task_config or {})

    def get_config(self):
        return {
            "name": self.name,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "head": keras.saving.serialize_keras_object(self.head),
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "task_config": self.task_config,
        }

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Under a strategy, Keras' TF trainer builds the optimizer and the
        # metrics from the first batch, fetched with
        # `strategy.reduce("MEAN", batch)`, which MultiWorkerMirroredStrategy
        # rejects (keras-team/keras#20585). Only the batch's shapes and
        # dtypes matter: read this worker's first replica instead.
        strategy = getattr(self, "_distribute_strategy", None)
        if strategy is None:
            # Without a strategy, Keras defers the build into the first
            # train-step trace; a trace that creates the optimizer's and
            # metrics' variables is traced a second time. Build first, as
            # Keras does under a strategy: one trace per first fit.
            if iterator is not None and data_batch is None:
                for _, _, batches in iterator:
                    data_batch = next(batches)
                    break
            with self.distribute_strategy.scope():
                self._symbolic_build(data_batch=data_batch)
            return None
        if iterator is not None and data_batch is None:
            import tensorflow as tf

            def local(value):
                if isinstance(value, tf.distribute.DistributedValues):
                    return strategy.experimental_local_results(value)[0]
                return value

            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(local, next(batches))
                break
            iterator = None
        return super()._maybe_symbolic_build(
            iterator=iterator, data_batch=data_batch
        )

    def train_step(self, data):
        return _reducible_logs(self, super().train_step(data))

    def test_step(self, data):
        return _reducible_logs(self, super().test_step(data))

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # A mixed-precision model is rebuilt under the policy it was
        # trained with (sublayers take the global policy when built).
        policy = (config.get("task_config") or {}).get("dtype_policy")
        with dtype_policy_scope(policy):
            for key in ("backbone", "head", "tokenizer"):
                config[key] = keras.saving.deserialize_keras_object(config[key])
            return cls(**config)


def _reducible_logs(model, logs):
    """Scalar step logs as shape ``(1,)`` under multi-worker training.

    Keras' TF trainer averages each replica's logs across workers with
    ``strategy.reduce("MEAN", value, axis=0)``, which rejects scalars
    (keras-team/keras#20585); the reduced logs are scalars again.
    """
    strategy = getattr(model, "_distribute_strategy", None)
    extended = getattr(strategy, "extended", None)
    in_multi_worker = getattr(extended, "_in_multi_worker_mode", None)
    if in_multi_worker is None or not in_multi_worker():
        return logs

    def rank1(value):
        value = keras.ops.convert_to_tensor(value)
        if len(value.shape) == 0:
            return keras.ops.reshape(value, (1,))
        return value

    return keras.tree.map_structure(rank1, logs)
