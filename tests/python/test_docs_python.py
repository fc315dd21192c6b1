"""docs/python.md's examples run as written: every ```python block, in order, in one namespace
(later blocks use names the earlier ones define), and the guide ends with the "## Training"
section covering the training API."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block."""
    blocks = []
    for m in re.finditer(r"^```python\n(.*?)^```$", text, re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 2, m.group(1)))
    return blocks


def test_every_python_example_of_the_guide_runs():
    text = GUIDE.read_text()
    blocks = python_blocks(text)
    assert len(blocks) >= 10
    namespace: dict = {"__name__": "docs_python"}
    for line, code in blocks:
        # Line numbers in tracebacks are those of docs/python.md.
        exec(compile("\n" * (line - 1) + code, str(GUIDE), "exec"), namespace)  # noqa: S102


def test_error_example_output_is_what_bronze_prints():
    import bronze as bz  # noqa: PLC0415
    from bronze import layers as L  # noqa: PLC0415

    text = GUIDE.read_text()
    shown = re.search(r"```text\n(linear node .*?) \(created at example\.py:3\)\n```", text).group(1)
    head = L.Linear(4, name="head")
    head(L.Placeholder((None, 3)))
    try:
        head(L.Placeholder((None, 5)))
    except bz.ShapeError as e:
        message = str(e)
    assert message.startswith(shown + " (created at test_docs_python.py:")


def test_guide_ends_with_the_training_section():
    text = GUIDE.read_text()
    training = text[text.index("\n## Training\n"):]
    for name in ("compile", "fit", "evaluate", "predict", "value_and_grad", "EarlyStopping",
                 "ModelCheckpoint", "CSVLogger", "LearningRateScheduler", "fashion_mnist"):
        assert name in training, name
