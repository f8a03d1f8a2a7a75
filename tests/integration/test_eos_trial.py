from pathlib import Path
from infra.stack import Endpoints
from tests.integration.test_processor import _killed_workers_resume


async def test_eos(stack: Endpoints, tmp_path: Path) -> None:
    await _killed_workers_resume(stack, tmp_path, "exactly_once")
