"""The README's first Python example runs as written (documentation that cannot rot)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_first_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    result, big = namespace["result"], namespace["big"]
    assert result.status.value == "optimal" and result.ac is not None
    assert len(big.market.customers) == 12_325
    assert len({c.p_ori_kw.max() for c in big.market.customers}) > 12_000  # no two alike
