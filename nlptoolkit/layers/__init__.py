"""Small pieces the backbones, heads and tokenizers share: constructor
arguments declared once (:mod:`nlptoolkit.layers.arguments`) and the
Transformer stack (:mod:`nlptoolkit.layers.transformer_stack`)."""
