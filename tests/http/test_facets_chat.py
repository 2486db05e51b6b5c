"""A service's facet through ``POST /api/v1/chat``: the payload answers that facet first, its buttons work."""

from __future__ import annotations

import uuid

import httpx

from flows.facets import CARD_BUTTON_LABEL, facet_labels


def uid() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def _chat(client: httpx.AsyncClient, user: str, payload: str) -> dict[str, object]:
    r = await client.post("/api/v1/chat", json={"user_id": user, "payload": payload})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


async def test_facet_payload_answers_the_facet_and_its_buttons_lead_on(client: httpx.AsyncClient) -> None:
    user = uid()
    body = await _chat(client, user, "sf-death_reg-documents")
    assert body["match"] == {"kind": "service", "id": "death_reg", "score": None}
    replies = body["replies"]
    assert isinstance(replies, list)
    text = replies[0]["text"]
    assert text.startswith("Cần chuẩn bị:") and "Giấy báo tử" in text
    assert "Nguồn: " in text and "(cập nhật 02/12/2026)" in text
    buttons = {b["label"]: b["payload"] for b in replies[0]["buttons"]}
    assert buttons[CARD_BUTTON_LABEL] == "s-death_reg"
    assert facet_labels["documents"] not in buttons
    other = buttons[facet_labels["in_person"]]
    nxt = await _chat(client, user, other)
    assert nxt["match"] == {"kind": "service", "id": "death_reg", "score": None}
    assert "cư trú cuối cùng" in nxt["replies"][0]["text"]  # type: ignore[index]
    card = await _chat(client, user, buttons[CARD_BUTTON_LABEL])
    assert card["match"] == {"kind": "service", "id": "death_reg", "score": None}


async def test_situation_payload_and_referral_suffix(client: httpx.AsyncClient) -> None:
    body = await _chat(client, uid(), "sf-birth_reg-lost_certificate-rAbCd1234")
    text = body["replies"][0]["text"]  # type: ignore[index]
    assert "bản sao trích lục" in text and "không đăng ký lại" in text
    assert "⚠️" in text  # hedged: where to ask is not certain everywhere


async def test_typing_a_facet_button_label_presses_it(client: httpx.AsyncClient) -> None:
    user = uid()
    await _chat(client, user, "sf-id_card-result")
    r = await client.post("/api/v1/chat", json={"user_id": user, "text": "bao lau co ket qua"})
    body = r.json()
    assert body["match"]["kind"] == "service" and body["match"]["id"] == "id_card"
    assert "07 ngày làm việc" in body["replies"][0]["text"]


async def test_unknown_facet_or_service_is_not_a_500(client: httpx.AsyncClient) -> None:
    for payload in ("sf-death_reg-price", "sf-nope-fee", "sf-death_reg", "sf-exam_reg-lost_certificate", "sf-traffic_fine-fee"):
        r = await client.post("/api/v1/chat", json={"user_id": uid(), "payload": payload})
        assert r.status_code == 200, payload
        assert r.json()["match"]["kind"] != "service", payload


async def test_services_api_lists_todays_facets_and_situations(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/services/id_card")
    assert r.status_code == 200
    body = r.json()
    keys = [f["key"] for f in body["facets"]]
    assert keys == sorted(keys, key=["who", "online", "in_person", "documents", "fee", "time", "result"].index)
    fee = next(f for f in body["facets"] if f["key"] == "fee")
    assert fee["label"] == facet_labels["fee"] and fee["source"] and fee["reviewed"]
    # Only the version served today is listed (one per key).
    assert len(keys) == len(set(keys))
    assert {s["kind"] for s in body["situations"]} >= {"lost", "child"}
