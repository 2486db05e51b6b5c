"""Support points made up for tests (no real place, address or hours: the project seeds none)."""

from __future__ import annotations

from typing import Any

#: Phường Bến Thành, Thành phố Hồ Chí Minh (codes of the vietnam-provinces package).
HCM, BEN_THANH = 79, 26743
#: Phường Hoàn Kiếm, Thành phố Hà Nội.
HANOI, HOAN_KIEM = 1, 70
#: A made-up spot near the middle of Bến Thành, and one about 1.1 km north of it.
SPOT = (10.7725, 106.6980)
NORTH = (10.7825, 106.6980)


def point_body(**changes: Any) -> dict[str, Any]:
    """A made-up support point's JSON for the admin API."""
    body: dict[str, Any] = {
        "name": "Điểm thử nghiệm A", "kind": "mobile", "address": "Số 1 đường Thử Nghiệm",
        "commune_code": BEN_THANH, "lat": SPOT[0], "lon": SPOT[1], "services": ["install", "level2"],
        "bring": "Thẻ căn cước, điện thoại", "note": "",
        "windows": [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)],
    }
    body.update(changes)
    return body

#: Phường Sài Gòn (HCM) and Phường Hải Châu (Đà Nẵng), for tests that need a commune to themselves.
SAI_GON, HAI_CHAU = 26740, 20242
#: A made-up spot in Đà Nẵng.
DA_NANG = (16.0680, 108.2210)
