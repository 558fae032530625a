"""POST /v1/promotions/{id}/corrections (issue 18): one promotion corrected by its id, as a correction of its model
over the stretch it covered before or covers after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.auth.keys import create_key
from tests.factories import make_model, make_price, make_promotion
from tests.problems import assert_problem

SEEDED = "deepseek-v4-flash"
MARCH, APRIL, MAY, JUNE = (datetime(2026, month, 1, tzinfo=UTC) for month in (3, 4, 5, 6))


async def _corrector(session) -> dict[str, str]:
    _, secret = await create_key(session, "corrector", ["catalog:correct"])
    await session.flush()
    return {"Authorization": f"Bearer {secret}"}


async def _effective_input(client, model: str, at: str, **params: str) -> str:
    answer = (await client.get(f"/v1/models/{model}/price", params={"at": at, **params})).json()
    assert "effective" in answer, answer
    return answer["effective"]["input_per_mtok"]


async def _seed_discount_id(client) -> int:
    listed = (await client.get("/v1/promotions", params={"model": SEEDED})).json()["data"]
    [launch] = [p for p in listed if p["name"] == "V4-Flash launch discount"]
    return launch["id"]


async def test_the_seed_launch_discount_corrected_by_its_id_to_end_a_day_earlier(client, session):
    corrector = await _corrector(session)
    promotion_id = await _seed_discount_id(client)
    body = {"reason": "the discount ended on May 4", "valid_to": "2026-05-04T00:00:00Z"}
    response = await client.post(f"/v1/promotions/{promotion_id}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["model"], answer["reason"]) == (SEEDED, "the discount ended on May 4")
    assert (answer["valid_from"], answer["valid_to"]) == ("2026-04-24T00:00:00Z", "2026-05-05T00:00:00Z")
    assert [p["id"] for p in answer["promotions"]["old"]] == [promotion_id]
    assert [(p["name"], p["percent_off"], p["valid_from"], p["valid_to"]) for p in answer["promotions"]["new"]] == [
        ("V4-Flash launch discount", "75", "2026-04-24T00:00:00Z", "2026-05-04T00:00:00Z")]
    assert answer["prices"] == {"old": [], "new": []}  # the prices were not touched
    assert await _effective_input(client, SEEDED, "2026-05-04T12:00:00Z") == "0.14"
    assert await _effective_input(client, SEEDED, "2026-05-03T12:00:00Z") == "0.035"
    recorded = datetime.fromisoformat(answer["recorded_at"].replace("Z", "+00:00"))
    known_then = (recorded - timedelta(microseconds=1)).isoformat()
    assert await _effective_input(client, SEEDED, "2026-05-04T12:00:00Z", known_at=known_then) == "0.035"


async def test_a_withdrawn_promotion_never_was(client, session):
    corrector = await _corrector(session)
    model = await make_model(session)
    promotion = await make_promotion(session, model.id, "50", APRIL, MAY)
    await make_price(session, model.id, MARCH, input_per_mtok="2")
    assert await _effective_input(client, model.id, "2026-04-15") == "1"
    response = await client.post(f"/v1/promotions/{promotion.id}/corrections",
                                 json={"reason": "it was never offered", "withdrawn": True}, headers=corrector)
    assert response.status_code == 201, response.text
    assert response.json()["promotions"]["new"] == []
    assert await _effective_input(client, model.id, "2026-04-15") == "2"
    assert (await client.get("/v1/promotions", params={"model": model.id})).json()["data"] == []


async def test_a_promotion_moved_later_keeps_the_others_in_its_stretch_as_they_were(client, session):
    corrector = await _corrector(session)
    model = await make_model(session)
    moved = await make_promotion(session, model.id, "50", MARCH, datetime(2026, 3, 10, tzinfo=UTC))
    between = await make_promotion(session, model.id, "10", datetime(2026, 3, 20, tzinfo=UTC), APRIL)
    await make_price(session, model.id, MARCH, input_per_mtok="2")
    body = {"reason": "it ran in May", "valid_from": "2026-05-01T00:00:00Z", "valid_to": "2026-05-10T00:00:00Z",
            "percent_off": "40"}
    response = await client.post(f"/v1/promotions/{moved.id}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["valid_from"], answer["valid_to"]) == ("2026-03-01T00:00:00Z", "2026-05-10T00:00:00Z")
    assert sorted(p["id"] for p in answer["promotions"]["old"]) == sorted([moved.id, between.id])
    assert [(p["percent_off"], p["valid_from"], p["valid_to"]) for p in answer["promotions"]["new"]] == [
        ("10", "2026-03-20T00:00:00Z", "2026-04-01T00:00:00Z"), ("40", "2026-05-01T00:00:00Z", "2026-05-10T00:00:00Z")]
    assert await _effective_input(client, model.id, "2026-03-05") == "2"
    assert await _effective_input(client, model.id, "2026-03-25") == "1.8"
    assert await _effective_input(client, model.id, "2026-05-05") == "1.2"


async def test_an_open_promotion_closed_by_a_correction(client, session):
    corrector = await _corrector(session)
    model = await make_model(session)
    promotion = await make_promotion(session, model.id, "50", APRIL)
    await make_price(session, model.id, MARCH, input_per_mtok="2")
    body = {"reason": "it ended with April", "valid_to": "2026-05-01T00:00:00Z"}
    response = await client.post(f"/v1/promotions/{promotion.id}/corrections", json=body, headers=corrector)
    assert response.status_code == 201, response.text
    assert response.json()["valid_to"] is None  # the stretch reaches as far as the promotion did
    assert await _effective_input(client, model.id, "2026-04-30") == "1"
    assert await _effective_input(client, model.id, "2026-05-01") == "2"
    assert await _effective_input(client, model.id, "2027-06-01") == "2"


async def test_promotion_corrections_refuse_what_they_cannot_do(client, session, writer):
    corrector = await _corrector(session)
    model = await make_model(session)
    promotion = await make_promotion(session, model.id, "50", APRIL, MAY)
    url = f"/v1/promotions/{promotion.id}/corrections"
    assert_problem(await client.post(url, json={"reason": "x", "withdrawn": True}, headers=writer), 403,
                   type="forbidden")
    assert_problem(await client.post(url, json={"reason": "x"}, headers=corrector), 422, pointer="/withdrawn")
    assert_problem(await client.post(url, json={"reason": "x", "withdrawn": True, "percent_off": "10"},
                                     headers=corrector), 422, pointer="/percent_off")
    assert_problem(await client.post(url, json={"reason": "x", "valid_to": "2026-03-01T00:00:00Z"},
                                     headers=corrector), 422, pointer="/valid_to")
    assert_problem(await client.post("/v1/promotions/999999999/corrections", json={"reason": "x", "withdrawn": True},
                                     headers=corrector), 404, type="not-found")
    done = await client.post(url, json={"reason": "half off was 40 off", "percent_off": "40"}, headers=corrector)
    assert done.status_code == 201, done.text
    again = await client.post(url, json={"reason": "and again", "percent_off": "30"}, headers=corrector)
    detail = assert_problem(again, 404, type="not-found")["detail"]
    assert f"was corrected (correction {done.json()['id']})" in detail
    [current] = done.json()["promotions"]["new"]
    fixed = await client.post(f"/v1/promotions/{current['id']}/corrections",
                              json={"reason": "and again", "percent_off": "30"}, headers=corrector)
    assert fixed.status_code == 201, fixed.text
    listed = (await client.get("/v1/promotions", params={"model": model.id})).json()["data"]
    assert [(p["percent_off"], p["valid_from"], p["valid_to"]) for p in listed] == [
        ("30", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")]
