"""Full fine-tuning of BERT and ModernBERT encoders in PyTorch for the Clinical ModernBERT extension.

The extension tokenizes, windows and aligns labels; this package reads the tensors it prepared
(data.py), trains (train.py) and writes a Hugging Face model folder (export.py) that the
extension's converter turns into ONNX. See companion/README.md for the formats and the protocol.
"""

__version__ = "0.1.0"
