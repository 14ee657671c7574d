"""The Re-plan page takes several uploads (platform exports and the planner's own) and
shows for each what ``planner inspect`` says; recorded actuals match the CLI's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from export_fixtures import (
    AD_GROUPS_TOML,
    AD_HEADER,
    AD_ROWS,
    DOU_PLUS_HEADER,
    DOU_PLUS_ROWS,
    EXPECTED,
    QIANCHUAN_HEADER,
    QIANCHUAN_ROWS,
    SHOP_BY_LINK_HEADER,
    SHOP_BY_LINK_ROWS,
    SHOP_HEADER,
    SHOP_ROWS,
    with_cell,
    write,
)
from streamlit.testing.v1 import AppTest

from app_steps import click
from planner.io.store import open_store

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
PAGE = "app_pages/replan_page.py"
FILE = "replan_page.actuals_file"
STORE = "replan_page.store_path"
DRY_RUN = "replan_page.dry_run"
RECORD = "replan_page.record_button"
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.usefixtures("english", "app_stores")


def _shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def _page(sample: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.selectbox(key="inputs.sample_campaign").set_value(sample).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _upload(at: AppTest, files: list[Path], store: Path) -> AppTest:
    at.file_uploader(key=FILE).set_value(
        [(f.name, f.read_bytes(), XLSX if f.suffix == ".xlsx" else CSV) for f in files]).run()
    at.text_input(key=STORE).set_value(str(store)).run()
    assert not at.exception
    return at


def _stored(store: Path) -> list[tuple[str, str, str, float, float]]:
    with open_store(store) as history, history._session() as db:
        rows = db.exec_driver_sql("SELECT tool, video_id, date, spend, gmv FROM actuals")
        return sorted((r[0], r[1], r[2], round(r[3], 2), round(r[4], 2)) for r in rows)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.main.markdown] + [c.value for c in at.main.caption]
    return _shown("\n".join(parts))


@pytest.mark.slow
def test_a_qianchuan_upload_is_inspected_and_recorded_as_qianchuan_spend(
        tmp_path: Path) -> None:
    report = write(tmp_path / "千川素材报表.xlsx", QIANCHUAN_HEADER, QIANCHUAN_ROWS)
    store = tmp_path / "history.sqlite"
    at = _upload(_page("campaign_closed_loop.toml"), [report], store)
    assert [e.label for e in at.main.expander] == [
        "千川素材报表.xlsx: 千川 (Qianchuan) plan/material report (标准推广/全域推广)"]
    text = _texts(at)
    assert "GMV counted: overall (整体成交)" in text
    assert "skipped the totals row(s) (合计/总计) at row 4" in text
    mapping = dict(at.main.dataframe[0].value.itertuples(index=False))
    # Each of the file's own headers against the planner's column, by its name.
    assert mapping["整体消耗(元)"] == "Spend (yuan)"
    assert mapping["整体成交金额(元)"] == "GMV (yuan)"
    at.checkbox(key=DRY_RUN).uncheck().run()
    at = click(at, RECORD)
    assert not at.main.error
    assert _stored(store) == sorted(EXPECTED["qianchuan"])


@pytest.mark.slow
def test_dou_plus_and_the_shops_gmv_upload_together(tmp_path: Path) -> None:
    orders = write(tmp_path / "dou_plus.csv", DOU_PLUS_HEADER, DOU_PLUS_ROWS, encoding="gbk")
    shop = write(tmp_path / "shop.xlsx", SHOP_HEADER, SHOP_ROWS)
    store = tmp_path / "history.sqlite"
    at = _upload(_page("campaign_tmall.toml"), [orders, shop], store)
    assert len(at.main.expander) == 2
    assert "recognised as shop GMV by video or tracking link" in _texts(at)
    at.checkbox(key=DRY_RUN).uncheck().run()
    at = click(at, RECORD)
    assert not at.main.error
    assert _stored(store) == EXPECTED["dou_plus+shop"]


def test_dou_plus_alone_warns_that_its_spend_has_no_gmv(tmp_path: Path) -> None:
    orders = write(tmp_path / "dou_plus.xlsx", DOU_PLUS_HEADER, DOU_PLUS_ROWS)
    at = _upload(_page("campaign_tmall.toml"), [orders], tmp_path / "history.sqlite")
    warnings = [_shown(w.value) for w in at.main.warning]
    assert any("798.20 yuan" in w and "has no GMV" in w for w in warnings)


@pytest.mark.slow
def test_a_malformed_export_lists_file_column_and_fix_under_the_uploader(
        tmp_path: Path) -> None:
    rows = with_cell(QIANCHUAN_ROWS, 0, 3, "一千")
    report = write(tmp_path / "qc.csv", QIANCHUAN_HEADER, rows)
    at = _upload(_page("campaign_closed_loop.toml"), [report], tmp_path / "history.sqlite")
    errors = [_shown(e.value) for e in at.main.error]
    assert errors and "qc.csv" in errors[0] and "整体消耗(元)" in errors[0]
    assert "Fix" in errors[0] or "fix" in errors[0].lower()
    assert at.button(key="replan_page.preview_button").disabled


@pytest.mark.slow
def test_an_ad_report_uses_the_uploaded_campaign_files_ad_groups(tmp_path: Path) -> None:
    campaign = (ROOT / "sample_data" / "campaign_tmall.toml").read_text(encoding="utf-8")
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    at.radio(key="inputs.source").set_value("upload").run()
    at.file_uploader(key="inputs.videos_file").set_value(
        ("videos.csv", (ROOT / "sample_data" / "videos.csv").read_bytes(), CSV)).run()
    at.file_uploader(key="inputs.campaign_file").set_value(
        ("campaign.toml", (campaign + AD_GROUPS_TOML).encode("utf-8"), "text/plain")).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    report = write(tmp_path / "ad_daily.xlsx", AD_HEADER, AD_ROWS)
    shop = write(tmp_path / "shop_links.csv", SHOP_BY_LINK_HEADER, SHOP_BY_LINK_ROWS,
                 encoding="gbk")
    store = tmp_path / "history.sqlite"
    at = _upload(at, [report, shop], store)
    assert "recognised as 巨量广告 (AD) daily report" in _texts(at)
    at.checkbox(key=DRY_RUN).uncheck().run()
    at = click(at, RECORD)
    assert not at.main.error
    assert _stored(store) == sorted(EXPECTED["ad+shop_by_link"])
